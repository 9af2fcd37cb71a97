/**
 * THE exit-code table of every command (run, analyze, helper, lab). Every `return`/`setExit` in
 * src/cli uses these names, `--help` renders the table ({@link exitCodeHelp}), and
 * docs/report-format.md and README.md ("Exit codes") restate it. Signal codes follow the shell's
 * convention 128 + signal number (POSIX `sh`, "Exit Status for Commands"; SIGHUP 1, SIGINT 2,
 * SIGTERM 15).
 */

/** The exit codes, by meaning. */
export const EXIT = {
  /** Done, whatever the verdicts (blocking found is not an error). */
  OK: 0,
  /** An internal error (a bug). In `run`, a target that hit one still has its line (a failure in `control.failure`). */
  INTERNAL: 1,
  /** Bad arguments or input (a bad list line, an unreadable file, nothing readable in the input). Nothing was measured, or the input is reported as `FILE:LINE: reason`. */
  USAGE: 2,
  /** The lab cannot be built here (no root nor user namespaces, `ip`/`nft` missing, a lab step failed). */
  UNAVAILABLE: 3,
  /** The report could not be written (ENOSPC, EIO, standard output closed, the file removed or replaced during the run); every whole line written before is kept. */
  REPORT_WRITE: 4,
  /** Another censorprobe process holds the report's lock (two writers never share a report). */
  REPORT_LOCKED: 5,
  /**
   * `check`: a verdict differs from the expected one or an expected target has no measurement;
   * `diff --exit-code`: a verdict changed or a target is in one report only. Not 1 (as in
   * `git diff --exit-code`), so that a script can tell a difference from an internal error.
   */
  DIFFERS: 6,
  /** Stopped by SIGHUP (the terminal closed); finished lines are kept. */
  SIGHUP: 129,
  /** Stopped by SIGINT (Ctrl-C); finished lines are kept, `--resume` continues. */
  SIGINT: 130,
  /** Stopped by SIGTERM; finished lines are kept, `--resume` continues. */
  SIGTERM: 143,
} as const;

/** One exit code value. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The signals the CLI handles, and the exit code each gives. */
export type HandledSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** Exit code after `signal` (128 + its number). */
export function signalExitCode(signal: HandledSignal): ExitCode {
  return signal === 'SIGTERM' ? EXIT.SIGTERM : signal === 'SIGHUP' ? EXIT.SIGHUP : EXIT.SIGINT;
}

/** Short meaning of each code, as printed by `--help`. */
const MEANING: Readonly<Record<ExitCode, string>> = {
  0: 'done (whatever the verdicts)',
  1: 'internal error (a bug; in run, the target still has a line with the failure)',
  2: 'bad arguments or input (FILE:LINE: reason), nothing readable',
  3: 'a needed service is unavailable: the lab cannot be built here (needs root or user namespaces, ip, nft), or the --control helper cannot be reached (run: add --continue-without-control to measure anyway)',
  4: 'the report could not be written (disk full, I/O error, file removed or replaced, stdout closed); whole lines are kept',
  5: 'the report is locked by another censorprobe process',
  6: 'check: a verdict differs or an expected target is missing; diff --exit-code: a verdict changed',
  129: 'stopped by SIGHUP',
  130: 'stopped by SIGINT (Ctrl-C); finished lines are kept',
  143: 'stopped by SIGTERM; finished lines are kept',
};

/** The codes each command can return (all of them for the top-level help). */
const BY_COMMAND: Readonly<Record<string, readonly ExitCode[]>> = {
  run: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.UNAVAILABLE, EXIT.REPORT_WRITE, EXIT.REPORT_LOCKED, EXIT.SIGHUP, EXIT.SIGINT, EXIT.SIGTERM],
  analyze: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.REPORT_WRITE, EXIT.REPORT_LOCKED, EXIT.SIGHUP, EXIT.SIGINT, EXIT.SIGTERM],
  helper: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE],
  check: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.REPORT_WRITE, EXIT.DIFFERS],
  diff: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.DIFFERS],
  lab: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.UNAVAILABLE, EXIT.REPORT_WRITE, EXIT.REPORT_LOCKED, EXIT.SIGHUP, EXIT.SIGINT, EXIT.SIGTERM],
};

/** Every code of the table, in order. */
export const ALL_EXIT_CODES: readonly ExitCode[] = Object.values(EXIT).sort((a, b) => a - b);

/**
 * exitCodeHelp renders the table for `--help`: `Exit codes:` then one `  N  meaning` line per code,
 * for `command` (`run`, `analyze`, `helper`, `lab`) or every code when `command` is undefined.
 */
export function exitCodeHelp(command?: string): string {
  const codes = (command !== undefined ? BY_COMMAND[command] : undefined) ?? ALL_EXIT_CODES;
  return ['Exit codes:', ...codes.map((c) => `  ${String(c).padStart(3)}  ${MEANING[c]}`)].join('\n');
}
