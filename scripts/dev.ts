/**
 * `npm run dev -- ARGS`: run the CLI from TypeScript source with tsx (no build). The installed
 * entry is bin/censorprobe.js, which runs the compiled dist/.
 */
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
