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
// themselves once with a larger pool, and with glibc's resolver retries bounded to OONI's 4 s DNS
// budget (RES_OPTIONS timeout:2 attempts:2 instead of 5 s x 2) so that a dropped lookup does not
// outlive the measurement (a process cannot exit while a pool thread is stuck in getaddrinfo).
// The child gets its own process group (a terminal's Ctrl-C reaches it once, forwarded from here)
// and stops if this process dies. An interactive `run -i -` on a terminal is left alone.
const MEASURING = new Set(['run', 'helper']);
const readsTerminal = process.stdin.isTTY && args.includes('-');
if (process.env.UV_THREADPOOL_SIZE === undefined && MEASURING.has(args[0]) && !readsTerminal) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, UV_THREADPOOL_SIZE: '128', RES_OPTIONS: process.env.RES_OPTIONS ?? 'timeout:2 attempts:2', CENSORPROBE_PARENT_PID: String(process.pid) },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));
} else {
  const parent = Number(process.env.CENSORPROBE_PARENT_PID);
  if (parent > 0) {
    // The re-run child: stop like on Ctrl-C if the process the user started is gone.
    setInterval(() => {
      if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
    }, 500).unref();
  }
  // A closed pipe: quietly done for listings (`censorprobe lab list | head`), but a report
  // stream (`run --json | head`) is then incomplete, which must not look like success. Any other
  // error on standard output (ENOSPC, EIO: `run --json > /dev/full`) is a write error too.
  process.stdout.on('error', (err) => {
    // A listing or help read by `| head` is quietly done; the output of a command whose result is
    // data (a report, a check, a diff, an analysis) is incomplete, which must not look like success.
    const data = ['run', 'analyze', 'check', 'diff', 'report', 'control'].includes(args[0] ?? '');
    if (err.code === 'EPIPE' && !data) process.exit(0);
    // `run` without --json prints only progress there: a terminal that went away (EIO) loses the
    // progress, not the report file; the SIGHUP that follows stops the run (exit 129).
    if (err.code !== 'EPIPE' && args[0] === 'run' && !args.includes('--json')) return;
    const what = err.code === 'EPIPE' ? 'standard output was closed' : `cannot write to standard output (${err.code ?? 'error'})`;
    process.stderr.write(`censorprobe: ${what}: the ${args[0] === 'run' ? 'report' : 'output'} is incomplete\n`);
    process.exit(4); // EXIT.REPORT_WRITE in src/cli/exit-codes.ts
  });
  const { main } = await import('../dist/cli/main.js');
  const code = await main(args);
  // Flush the streams, then exit (do not wait for idle handles).
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))));
  process.exit(code);
}
