/**
 * netns: running commands (`ip`, `nft`, anything inside a namespace) for the lab harness, without a
 * shell. Async variants resolve with the exit code and output (never reject on a non-zero exit);
 * `mustRun` rejects with the command and its stderr in one message.
 */
import { spawn, spawnSync } from 'node:child_process';

/** CommandResult: exit code (null when killed by a signal or the timeout), output text. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the timeout killed the command. */
  timedOut: boolean;
}

/** RunOptions: `timeoutMs` (default 30000; then SIGKILL), `input` written to stdin (default none). */
export interface RunOptions {
  timeoutMs?: number;
  input?: string | Buffer;
}

/**
 * runCommand spawns `argv[0]` with the remaining arguments and collects its output. Resolves with a
 * CommandResult (a spawn error such as ENOENT becomes code 127 with the message in stderr). Throws
 * only on an empty argv (programmer error).
 */
export function runCommand(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('runCommand: empty argv');
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout: '', stderr: e.message, timedOut: false });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** mustRun runs `argv` and resolves with stdout; rejects with `<command> failed (<code>): <stderr>` on a non-zero exit. */
export async function mustRun(argv: string[], opts: RunOptions = {}): Promise<string> {
  const r = await runCommand(argv, opts);
  if (r.code !== 0) {
    const why = r.timedOut ? 'timed out' : `exit ${r.code}`;
    throw new Error(`${argv.join(' ')} failed (${why}): ${r.stderr.trim().replace(/\s+/g, ' ')}`);
  }
  return r.stdout;
}

/** runSync runs `argv` synchronously, ignoring failures (for cleanup at process exit). Returns the exit code (null on spawn failure or signal). */
export function runSync(argv: string[], input?: string): number | null {
  const [file, ...args] = argv;
  if (file === undefined) return null;
  const r = spawnSync(file, args, { stdio: ['pipe', 'ignore', 'ignore'], input: input ?? '', timeout: 5000 });
  return r.status;
}
