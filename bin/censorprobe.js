#!/usr/bin/env node
// Thin shim: the CLI lives in src/cli (compiled to dist/cli). Build first: `npm run build`.
import { main } from '../dist/cli/main.js';

// A closed pipe (`censorprobe lab list | head`) is not an error: stop quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));
