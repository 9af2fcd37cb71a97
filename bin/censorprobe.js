#!/usr/bin/env node
// Thin shim: the CLI lives in src/cli (compiled to dist/cli). Build first: `npm run build`.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);

// getaddrinfo runs on libuv's thread pool (4 threads by default). A censor that silently drops
// DNS queries for some names keeps those threads busy long after our DNS timeout, and healthy
// names queued behind them would time out too (false "DNS tampering"). The pool size is read when
// the pool starts, which happens before this file runs, so the measuring commands re-run
// themselves once with a larger pool. The child gets its own process group (signals reach it once,
// forwarded from here); an interactive `run -i -` on a terminal is left alone.
const MEASURING = new Set(['run', 'helper']);
const readsTerminal = process.stdin.isTTY && args.includes('-');
if (process.env.UV_THREADPOOL_SIZE === undefined && MEASURING.has(args[0]) && !readsTerminal) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, UV_THREADPOOL_SIZE: '128' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));
} else {
  // A closed pipe (`censorprobe lab list | head`) is not an error: stop quietly.
  process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const { main } = await import('../dist/cli/main.js');
  const code = await main(args);
  // Lookups that never return (dropped DNS) hold pool threads and would keep the process alive
  // after the report is complete: flush the streams, then exit.
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))));
  process.exit(code);
}
