#!/usr/bin/env node
// @ts-check
// The censorprobe command. Everything it does is in src/cli/launch.ts (compiled to dist/cli): build first (`npm run build`).
import { launch } from '#cli/launch';

await launch(import.meta.url);
