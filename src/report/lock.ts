/**
 * The report's exclusive lock: one writer per report file, so two `run --resume` on one report
 * cannot both read "what is measured" and both append the rest (duplicates). Node has no flock(2),
 * so the lock is a lock file `<report>.lock` created with O_CREAT|O_EXCL (atomic on local file
 * systems and on NFSv3+), holding `{"pid":N,"host":"NAME","started":"ISO"}`. A lock whose process
 * is gone (same host, `kill(pid, 0)` fails with ESRCH) is stale and taken over. The lock file is
 * removed on release and, as a last resort, when the process exits. docs/report-format.md
 * ("Locking") describes it for users.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ReportLockedError } from './errors.js';

/** A held lock; see {@link acquireReportLock}. */
export interface ReportLock {
  /** The lock file (`<report>.lock`). */
  readonly lockPath: string;
  /** Removes the lock file if it is still ours. Idempotent; never throws. */
  release(): Promise<void>;
}

interface LockContent {
  pid: number;
  host: string;
  started: string;
}

/**
 * acquireReportLock takes the lock of the report at `reportPath` (an absolute path).
 *
 * Resolves with the lock, or rejects with {@link ReportLockedError} when a live process holds it
 * (another host's lock is always taken as live), or with the fs error when the lock file cannot be
 * created (e.g. EACCES: the directory is not writable).
 */
export async function acquireReportLock(reportPath: string): Promise<ReportLock> {
  const lockPath = `${reportPath}.lock`;
  const mine: LockContent = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      try {
        await fh.writeFile(text);
      } finally {
        await fh.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ReportLockedError(reportPath, 'lock file kept reappearing');
        throw e;
      }
      const holder = await readHolder(lockPath);
      if (holder === 'gone') continue; // released between our open and our read
      if (holder !== null && isLive(holder)) {
        throw new ReportLockedError(reportPath, `pid ${holder.pid} on ${holder.host}, since ${holder.started}`);
      }
      if (holder === null) {
        // Unreadable or half-written lock: a crash during its creation, or a writer that is creating it right now.
        throw new ReportLockedError(reportPath, `unreadable lock file ${lockPath}`);
      }
      await unlink(lockPath).catch(() => undefined); // stale: its process is gone
    }
  }
  let released = false;
  const onExit = (): void => {
    if (!released && ownedSync(lockPath, text)) {
      try {
        unlinkSync(lockPath);
      } catch {
        // exiting: nothing more to do
      }
    }
  };
  process.on('exit', onExit);
  return {
    lockPath,
    async release() {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      if (ownedSync(lockPath, text)) await unlink(lockPath).catch(() => undefined);
    },
  };
}

/** The lock's content, null when unreadable or not ours in shape, 'gone' when the file vanished. */
async function readHolder(lockPath: string): Promise<LockContent | null | 'gone'> {
  let raw: string;
  try {
    raw = await readFile(lockPath, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : null;
  }
  try {
    const v = JSON.parse(raw) as Partial<LockContent>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.host === 'string') {
      return { pid: v.pid, host: v.host, started: typeof v.started === 'string' ? v.started : '?' };
    }
  } catch {
    // fall through
  }
  return null;
}

/** True unless the holder is on this host and its process no longer exists. */
function isLive(h: LockContent): boolean {
  if (h.host !== hostname()) return true;
  if (h.pid === process.pid) return true; // this process: a second writer here must not share it either
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function ownedSync(lockPath: string, text: string): boolean {
  try {
    return readFileSync(lockPath, 'utf8') === text;
  } catch {
    return false;
  }
}
