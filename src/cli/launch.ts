/**
 * The process around the CLI: what `bin/censorprobe.js` does before and after {@link main}. The
 * measuring commands re-run themselves once in a child with a larger libuv thread pool and bounded
 * glibc resolver retries; the re-run child stops when the process the user started is gone; an
 * error on standard output ends the process with the right exit code (or is ignored when it
 * carried only `run`'s console); the exit waits for the
 * streams to flush, not for idle handles. The decisions are pure functions (unit-tested in
 * test/unit/cli/launch.test.ts); {@link launch} wires them to the real process.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EXIT } from './exit-codes.js';

/** The commands that measure (lookups through getaddrinfo), hence re-run with a larger pool. */
export const MEASURING_COMMANDS: readonly string[] = ['run', 'helper'];

/** The commands whose standard output is data (a report, a check, a diff, an analysis): a closed pipe leaves it incomplete. */
export const DATA_COMMANDS: readonly string[] = ['run', 'analyze', 'check', 'diff', 'report', 'control'];

/** The environment variable that tells the re-run child which process to watch. */
export const PARENT_PID_ENV = 'CENSORPROBE_PARENT_PID';

/** The libuv thread pool size of the re-run child (threads). */
export const RERUN_THREADPOOL_SIZE = 128;

/**
 * glibc's resolver options of the re-run child when the user set none: 2 s per try, 2 tries, i.e.
 * OONI's 4 s DNS budget instead of glibc's default 5 s x 2 (resolv.conf(5), `timeout:` and
 * `attempts:`; RES_OPTIONS overrides resolv.conf's `options`).
 */
export const RERUN_RES_OPTIONS = 'timeout:2 attempts:2';

/** How often the re-run child checks that its parent is still there, ms. */
export const PARENT_CHECK_INTERVAL_MS = 500;

/**
 * rerunEnvironment decides whether `args` (argv without node and script) re-run themselves, and
 * with which environment. getaddrinfo runs on libuv's thread pool (4 threads by default); a censor
 * that silently drops DNS queries for some names keeps those threads busy long after our DNS
 * timeout, and healthy names queued behind them would time out too (false "DNS tampering"). The
 * pool size is read when the pool starts, before any of our code runs, so a measuring command
 * ({@link MEASURING_COMMANDS}) re-runs once with `UV_THREADPOOL_SIZE` = {@link RERUN_THREADPOOL_SIZE},
 * `RES_OPTIONS` = {@link RERUN_RES_OPTIONS} unless set (a process cannot exit while a pool thread
 * is stuck in getaddrinfo, so a dropped lookup must not outlive the measurement), and
 * {@link PARENT_PID_ENV} = `parentPid`.
 *
 * Returns null (run in this process) when `UV_THREADPOOL_SIZE` is already set (the re-run child,
 * or a caller that sized the pool itself), for the other commands, and for an interactive list
 * read from a terminal (`-` among the args while `stdinIsTTY`: the child would not own the
 * terminal). Otherwise the child's whole environment: `env` plus those three. Pure.
 */
export function rerunEnvironment(args: readonly string[], env: Readonly<NodeJS.ProcessEnv>, stdinIsTTY: boolean, parentPid: number): NodeJS.ProcessEnv | null {
  if (env['UV_THREADPOOL_SIZE'] !== undefined) return null;
  if (!MEASURING_COMMANDS.includes(args[0] ?? '')) return null;
  if (stdinIsTTY && args.includes('-')) return null;
  return {
    ...env,
    UV_THREADPOOL_SIZE: String(RERUN_THREADPOOL_SIZE),
    RES_OPTIONS: env['RES_OPTIONS'] ?? RERUN_RES_OPTIONS,
    [PARENT_PID_ENV]: String(parentPid),
  };
}

/**
 * childExitCode is the launcher's exit code after its re-run child ended with `code` or by
 * `signal` (the arguments of the `exit` event): the child's code, or 128 + the signal's number as a
 * shell reports it (POSIX `sh`, "Exit Status for Commands"); 129 when neither is known. Pure.
 */
export function childExitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + ((signal !== null ? constants.signals[signal] : undefined) ?? 1);
}

/**
 * parentToWatch reads {@link PARENT_PID_ENV} from `env`: the pid of the launcher this process was
 * re-run by, or null when it was not (absent, not a positive number). Pure.
 */
export function parentToWatch(env: Readonly<NodeJS.ProcessEnv>): number | null {
  const pid = Number(env[PARENT_PID_ENV]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** What to do about an error on standard output (see {@link stdoutErrorAction}). */
export type StdoutErrorAction =
  /** Exit with `code`, after writing `message` (a whole line) to standard error when there is one. */
  | { kind: 'exit'; code: number; message?: string }
  /** Carry on: the output lost was progress only. */
  | { kind: 'ignore' };

/**
 * isHelpOrVersion tells whether `args` (argv without node and script) only print help or the
 * version: `-h`/`--help`/`-V`/`--version` before any `--`, or the `help` command. Pure.
 */
export function isHelpOrVersion(args: readonly string[]): boolean {
  if (args[0] === 'help') return true;
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '-h' || a === '--help' || a === '-V' || a === '--version');
}

/**
 * stdoutCarries says what standard output carries for `args` (argv without node and script):
 * - `listing`: help, the version, `run --dry-run`'s target list, and every command not in
 *   {@link DATA_COMMANDS} (`lab list`, `helper`'s start line): a reader may stop early;
 * - `console`: `run` without `--json`: only the console (per-target lines, progress, summary); the
 *   report goes to a file (`-o FILE`, or the default `censorprobe-<UTC time>.jsonl`);
 * - `data`: a report (`run --json`, `control -o -`), a check, a diff, an analysis, a page.
 * Pure.
 */
export function stdoutCarries(args: readonly string[]): 'listing' | 'console' | 'data' {
  const command = args[0] ?? '';
  if (isHelpOrVersion(args) || !DATA_COMMANDS.includes(command)) return 'listing';
  if (command !== 'run') return 'data';
  const end = args.indexOf('--');
  const opts = end < 0 ? args : args.slice(0, end);
  if (opts.includes('--dry-run')) return 'listing';
  return opts.includes('--json') ? 'data' : 'console';
}

/**
 * stdoutErrorAction decides what an error with code `errorCode` (`EPIPE`, `ENOSPC`, `EIO`...;
 * undefined when the error has none) on standard output means for `args` ({@link stdoutCarries}):
 * - console only (`run -o FILE | head -1`, `run > /dev/full`, a terminal gone): ignored. The run
 *   goes on silently and exits as it would have (0 when done): the report file is what matters, and
 *   the console lines lost are in it. A terminal that went away (EIO) is followed by SIGHUP, which
 *   stops the run (exit 129). (Were `--json` set only through CENSORPROBE_JSON or `--config`, the
 *   report writer still sees its own write fail and the run exits 4.)
 * - `EPIPE` (the reader closed the pipe) on a listing (`censorprobe lab list | head`,
 *   `run --help | head -1`, `run --dry-run ... | head -1`): quietly done, exit 0;
 * - otherwise the output is incomplete, which must not look like success: exit
 *   {@link EXIT.REPORT_WRITE} with a one-line message naming what happened (`the report` for
 *   `run --json`, `the output` otherwise).
 * Pure.
 */
export function stdoutErrorAction(args: readonly string[], errorCode: string | undefined): StdoutErrorAction {
  const carries = stdoutCarries(args);
  if (carries === 'console') return { kind: 'ignore' };
  const epipe = errorCode === 'EPIPE';
  if (epipe && carries === 'listing') return { kind: 'exit', code: EXIT.OK };
  const what = epipe ? 'standard output was closed' : `cannot write to standard output (${errorCode ?? 'error'})`;
  const report = carries === 'data' && args[0] === 'run';
  return { kind: 'exit', code: EXIT.REPORT_WRITE, message: `censorprobe: ${what}: the ${report ? 'report' : 'output'} is incomplete\n` };
}

/** Options of {@link watchParent}. */
export interface WatchParentOptions {
  /** The current parent pid; default `process.ppid`. */
  ppid?: () => number;
  /** Called once the parent is gone; default: SIGTERM to this process (stops like on Ctrl-C). */
  onGone?: () => void;
  /** Check interval, ms; default {@link PARENT_CHECK_INTERVAL_MS}. */
  intervalMs?: number;
}

/**
 * watchParent checks every `intervalMs` whether this process's parent is still `parent` (a process
 * whose parent dies is re-parented, so its ppid changes) and calls `onGone` once when it is not.
 * The timer does not keep the process alive. Returns a function that stops watching. Never throws.
 */
export function watchParent(parent: number, opts: WatchParentOptions = {}): () => void {
  const ppid = opts.ppid ?? (() => process.ppid);
  const onGone = opts.onGone ?? (() => void process.kill(process.pid, 'SIGTERM'));
  const timer = setInterval(() => {
    if (ppid() === parent) return;
    clearInterval(timer);
    onGone();
  }, opts.intervalMs ?? PARENT_CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * rerun starts `script` again in a child with `env` (see {@link rerunEnvironment}) and the same
 * Node flags and `args`. The child inherits the standard streams and gets its own process group,
 * so a terminal's Ctrl-C reaches it once, forwarded from here (SIGINT, SIGTERM, SIGHUP); this
 * process exits with {@link childExitCode} when the child ends.
 */
function rerun(script: string, args: readonly string[], env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], { stdio: 'inherit', detached: true, env });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void child.kill(sig));
  child.on('exit', (code, signal) => process.exit(childExitCode(code, signal)));
}

/** Resolves once everything written to `stream` so far has been handed to the system. */
function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => void stream.write('', () => resolve()));
}

/**
 * launch runs the CLI as the process `censorprobe`: `entryUrl` is the `import.meta.url` of the
 * script node was started with (bin/censorprobe.js, re-run by a measuring command), `args` the
 * arguments after it. Either re-runs in a child ({@link rerunEnvironment}) and exits with its code,
 * or runs {@link main} here: watching the launcher when this is the re-run child
 * ({@link watchParent}), ending on a standard-output error as {@link stdoutErrorAction} says, and
 * exiting with main's code once stdout and stderr are flushed (idle handles, such as a getaddrinfo
 * still stuck in the pool, are not waited for). Either way the process exits through
 * `process.exit`; the promise resolves once the child is started (re-run) or never (here).
 */
export async function launch(entryUrl: string, args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const env = rerunEnvironment(args, process.env, process.stdin.isTTY === true, process.pid);
  if (env !== null) return rerun(fileURLToPath(entryUrl), args, env);
  const parent = parentToWatch(process.env);
  if (parent !== null) watchParent(parent);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    const action = stdoutErrorAction(args, err.code);
    if (action.kind === 'ignore') return;
    if (action.message !== undefined) process.stderr.write(action.message);
    process.exit(action.code);
  });
  // Loaded only here: the launcher of a re-run never pays for the CLI.
  const { main } = await import('./main.js');
  const code = await main([...args]);
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
