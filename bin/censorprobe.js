#!/usr/bin/env node
// Thin shim: the CLI lives in src/cli (compiled to dist/cli). Build first: `npm run build`.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
