/**
 * Where a command writes its report, decided before anything is measured, so that no measurement
 * is ever lost at the end of a run: `-o` refuses a directory, an unwritable place and (unless the
 * report is resumed) an existing non-empty file; a resumed file must be a censorprobe report and
 * loses a torn last line; the report is locked for this process; the default name
 * `censorprobe-<UTC time>.jsonl` gets a `-2`, `-3`... suffix when a run started in the same second
 * already took it. docs/report-format.md describes it for users.
 */
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { acquireReportLock, defaultReportPath, ReportLockedError, settleTail } from '../report/index.js';
import { UsageError } from './options.js';

/** Options of {@link claimReport}. */
export interface ReportPathOptions {
  /** `-o FILE` as given, or undefined for the default name. */
  output: string | undefined;
  /** `--json`: the report goes to standard output (returns null). */
  json: boolean;
  /**
   * Continue an existing report (run --resume). Undefined when the command has no `--resume`
   * (control, analyze --from-ooni, lab run): refusing an existing file then says to remove it or
   * choose another name, not to add an option the command does not have.
   */
  resume?: boolean;
  cwd: string;
  now?: Date;
}

/** A report file this process now owns: see {@link claimReport}. */
export interface ClaimedReport {
  /** Absolute path, or null for standard output (--json). */
  path: string | null;
  /** With `resume`: bytes of a torn last line cut off the report (0 when it ended with a whole line). */
  trimmedBytes: number;
  /** With `resume`: the last line was a whole record without its `\n`, which was appended (src/report/tail.ts `settleTail`). */
  completedTail?: boolean;
  /** Releases the report's lock (after the writer is closed). Idempotent; never throws. */
  release(): Promise<void>;
}

const NO_LOCK = async (): Promise<void> => undefined;

/**
 * claimReport decides where the report goes, before anything is measured, and takes it:
 * - with `json`: standard output (`path: null`);
 * - without `output`: a new `censorprobe-<UTC time>.jsonl` created exclusively in `cwd`;
 * - with `output`: refuses a directory, an existing non-empty file unless `resume` (then it must
 *   be a censorprobe report), and a file that cannot really be appended to (it is opened with
 *   O_APPEND and written zero bytes: `/proc/version` fails there with EIO);
 * and, for a regular file, takes its exclusive lock (`<report>.lock`, src/report/lock.ts) BEFORE
 * the caller reads what is already measured; with `resume`, then cuts a torn last line off.
 * Throws {@link UsageError} (exit 2) with a one-line reason naming the file, or
 * {@link ReportLockedError} (exit 5) when another process writes the report.
 */
export async function claimReport(o: ReportPathOptions): Promise<ClaimedReport> {
  if (o.json && o.output !== undefined) throw new UsageError('--json writes the report to standard output: use either --json or -o FILE');
  if (o.json) return { path: null, trimmedBytes: 0, release: NO_LOCK };
  if (o.output === undefined) {
    const base = path.resolve(o.cwd, defaultReportPath(o.now ?? new Date(), '.'));
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? base : base.replace(/\.jsonl$/, `-${n}.jsonl`);
      try {
        await (await open(candidate, 'wx', 0o600)).close(); // exclusive create: two runs never share a file
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' || n >= 100) throw new UsageError(`${candidate}: cannot write the report (${code ?? String(e)})`);
        continue;
      }
      const lock = await lockOrUsage(candidate, candidate);
      return { path: candidate, trimmedBytes: 0, release: lock };
    }
  }
  const { p, shown, st } = await checkNamedReport(o.output, o);
  try {
    const fh = await open(p, 'a', 0o600);
    try {
      // Really append: a zero-byte write reaches the file's write method (procfs/sysfs files
      // that cannot be written fail here with EIO/EINVAL, although open() succeeded for root).
      await fh.write(''); // (a zero-length Buffer write is skipped by Node; an empty string is not)
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new UsageError(`${shown}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const release = st === null || st.isFile() ? await lockOrUsage(p, shown) : NO_LOCK;
  try {
    // Checked again under the lock: what we see now cannot change under us (another censorprobe waits).
    const now = await statOrNull(p, shown);
    await refuseExisting(p, shown, now, o.resume);
    const tail = o.resume === true && now !== null && now.isFile() ? await settleTail(p) : { cutBytes: 0, completed: false };
    return { path: p, trimmedBytes: tail.cutBytes, completedTail: tail.completed, release };
  } catch (e) {
    await release();
    throw e;
  }
}

/**
 * checkReportReadOnly: what {@link claimReport} would refuse, without creating, locking or changing
 * anything (`run --dry-run`): a directory, an existing non-empty file without `resume`, a file
 * that is not a censorprobe report with `resume`. Resolves with the report's absolute path (null
 * for `--json` or without `output`: a new default file); rejects with UsageError. The write check
 * is left to the real run.
 */
export async function checkReportReadOnly(o: Pick<ReportPathOptions, 'output' | 'json' | 'resume' | 'cwd'>): Promise<string | null> {
  if (o.json || o.output === undefined) return null;
  return (await checkNamedReport(o.output, o)).p;
}

/** The read-only checks of a report named with `-o` (both functions above): its absolute path, how it is shown, its stat (null: missing). */
async function checkNamedReport(output: string, o: Pick<ReportPathOptions, 'resume' | 'cwd'>): Promise<{ p: string; shown: string; st: Stats | null }> {
  if (output.trim() === '') throw new UsageError(`-o: needs a file name, got an empty one`);
  const p = path.resolve(o.cwd, output);
  const shown = `-o ${output}`;
  const st = await statOrNull(p, shown);
  await refuseExisting(p, shown, st, o.resume);
  return { p, shown, st };
}

/**
 * Refuses what is at `p` (its stat `st`, null: nothing): a directory; a non-empty file unless
 * `resume`, and with `resume` one that is not a censorprobe report. UsageError naming `shown`.
 */
async function refuseExisting(p: string, shown: string, st: Stats | null, resume: boolean | undefined): Promise<void> {
  if (st?.isDirectory()) throw new UsageError(`${shown}: is a directory`);
  if (st === null || !st.isFile() || st.size === 0) return;
  if (resume !== true) throw existsError(shown, resume !== undefined);
  if (!(await looksLikeReport(p))) throw new UsageError(`${shown}: not a censorprobe report (its first line has no schema_version): refusing to append to it`);
}

/** stat, with null for a missing file; any other error (EACCES, ELOOP...) is a UsageError naming `shown`. */
async function statOrNull(p: string, shown: string): Promise<Stats | null> {
  try {
    return await stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new UsageError(`${shown}: cannot check the file (${code ?? String(e)})`);
  }
}

/** The refusal of an existing non-empty file; `resumable`: the command has `--resume`. */
function existsError(shown: string, resumable: boolean): UsageError {
  if (!resumable) return new UsageError(`${shown}: the file exists; remove it or choose another file`);
  return new UsageError(`${shown}: the file exists; add --resume to continue that report, or choose another file`);
}

/** Takes the report's lock; an unwritable directory is a UsageError naming `shown`. */
async function lockOrUsage(p: string, shown: string): Promise<() => Promise<void>> {
  try {
    const lock = await acquireReportLock(p);
    return () => lock.release();
  } catch (e) {
    if (e instanceof ReportLockedError) throw e;
    throw new UsageError(`${shown}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)}; the report's lock file ${p}.lock cannot be created)`);
  }
}

/** True when the file's first line is a JSON object with `schema_version` (a report line). */
async function looksLikeReport(p: string): Promise<boolean> {
  const fh = await open(p, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const first = buf.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
    // A first line longer than the buffer is still a report if it starts like one.
    return /^\{"schema_version":"\d+\.\d+\.\d+"/.test(first);
  } finally {
    await fh.close();
  }
}

