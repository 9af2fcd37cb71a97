/**
 * The errors of report files that end a command with a documented exit code (src/cli/exit-codes.ts):
 * {@link ReportWriteError} (exit 4) and {@link ReportLockedError} (exit 5). docs/report-format.md
 * describes when each happens.
 */

/** Why a report could not be written. */
export type ReportWriteFailure =
  /** The OS refused the write: `ENOSPC`, `EIO`, `EDQUOT`, `EFBIG`, `EPIPE` (stdout closed), ... */
  | { kind: 'io'; code: string }
  /** The report file was deleted (unlinked) during the run. */
  | { kind: 'removed' }
  /** Another file now has the report's name (moved, or replaced by `mv`/an editor) during the run. */
  | { kind: 'replaced' };

/**
 * ReportWriteError: a report line could not be written; the command stops measuring. `path` is the
 * report file (null for standard output), `failure` says why, `keptLines` how many whole lines this
 * writer wrote before (all kept; a torn line was truncated away when the file allowed it).
 */
export class ReportWriteError extends Error {
  readonly code = 'ERR_REPORT_WRITE';
  constructor(
    readonly path: string | null,
    readonly failure: ReportWriteFailure,
    readonly keptLines: number,
    /** True when a partly written line was cut off the file (ftruncate to the last whole line). */
    readonly tornRemoved = false,
  ) {
    super(describe(path, failure, keptLines, tornRemoved));
    this.name = 'ReportWriteError';
  }
}

function describe(path: string | null, f: ReportWriteFailure, kept: number, tornRemoved: boolean): string {
  const where = path ?? 'standard output';
  const lines = `${kept} whole line${kept === 1 ? '' : 's'} written by this run`;
  if (f.kind === 'removed') return `${where}: the report was removed during the run; measuring stopped (${lines} went to the removed file)`;
  if (f.kind === 'replaced') return `${where}: the report was replaced by another file during the run; measuring stopped (${lines} went to the old file)`;
  if (path === null && f.code === 'EPIPE') return `standard output was closed: the report is incomplete (${lines}); measuring stopped`;
  const why = f.code === 'ENOSPC' ? 'no space left on the device' : f.code === 'EDQUOT' ? 'disk quota exceeded' : f.code === 'EIO' ? 'I/O error' : f.code;
  return `${where}: cannot write the report (${f.code}: ${why}); measuring stopped, ${lines} kept${tornRemoved ? ', the partly written line removed' : ''}`;
}

/** ReportLockedError: another process holds the report's lock file (`<report>.lock`). */
export class ReportLockedError extends Error {
  readonly code = 'ERR_REPORT_LOCKED';
  constructor(
    readonly path: string,
    readonly holder: string,
  ) {
    super(`${path}: another censorprobe process (${holder}) is writing this report; wait for it to finish, or remove ${path}.lock if no such process exists`);
    this.name = 'ReportLockedError';
  }
}
