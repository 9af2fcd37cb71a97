/**
 * THE exit-code table of every command (run, analyze, helper, lab, check, diff, report, control).
 * Every `return`/`setExit` in src/cli uses these names, `--help` renders the table ({@link exitCodeHelp}), and
 * docs/report-format.md and README.md ("Exit codes") restate it. Signal codes follow the shell's
 * convention 128 + signal number (POSIX `sh`, "Exit Status for Commands"; SIGHUP 1, SIGINT 2,
 * SIGTERM 15).
 */

/** The exit codes, by meaning. */
export const EXIT = {
  /** Done, whatever the verdicts (blocking found is not an error); `helper`: stopped by SIGINT, SIGTERM or SIGHUP. */
  OK: 0,
  /** An internal error (a bug). In `run`, a target that hit one still has its line (a failure in `control.failure`). */
  INTERNAL: 1,
  /** Bad arguments or input (a bad list line, an unreadable file, nothing readable in the input). Nothing was measured, or the input is reported as `FILE:LINE: reason`. */
  USAGE: 2,
  /** A needed service is unavailable: the lab cannot be built here (no root nor user namespaces, `ip`/`nft` missing, a lab step failed), or `run`'s `--control` helper cannot be reached. */
  UNAVAILABLE: 3,
  /** The report or output could not be written (ENOSPC, EIO, standard output closed, the file removed or replaced during the run); every whole line of a report written before is kept. */
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
  0: 'done (whatever the verdicts); helper: stopped by SIGINT, SIGTERM or SIGHUP (a server stopping cleanly)',
  1: 'internal error (a bug; in run, the target still has a line with the failure)',
  2: 'bad arguments or input (FILE:LINE: reason), nothing readable, an output file that exists or cannot be written',
  3: 'a needed service is unavailable: the lab cannot be built here (needs root or user namespaces, ip, nft), or the --control helper cannot be reached (run: add --continue-without-control to measure anyway)',
  4: 'the report or output could not be written (disk full, I/O error, file removed or replaced, stdout closed); a report keeps its whole lines',
  5: 'the report is locked by another censorprobe process',
  6: 'check: a verdict differs or an expected target is missing; diff --exit-code: a verdict changed or a target is in one report only; lab run: the verdict or an OONI key differs from the scenario\'s',
  129: 'stopped by SIGHUP (the terminal closed); a report keeps its finished lines',
  130: 'stopped by SIGINT (Ctrl-C); a report keeps its finished lines',
  143: 'stopped by SIGTERM; a report keeps its finished lines',
};

/** A command's own wording of a code, where the shared one would say too much. */
const MEANING_FOR: Readonly<Record<string, Partial<Record<ExitCode, string>>>> = {
  helper: { 0: 'the helper stopped: SIGINT, SIGTERM or SIGHUP (a server stopping cleanly)' },
  run: { 3: 'the --control helper cannot be reached (add --continue-without-control to measure anyway)' },
  lab: { 3: 'the lab cannot be built here (needs root or user namespaces, ip, nft), or a lab step failed', 6: 'lab run: the verdict or an OONI key the scenario lists differs from what it expects' },
  check: { 6: 'a verdict differs from the expected one or an expected target has no measurement' },
  diff: { 6: 'with --exit-code: a verdict changed or a target is in one report only' },
};

const SIGNALS: readonly ExitCode[] = [EXIT.SIGHUP, EXIT.SIGINT, EXIT.SIGTERM];

/**
 * The codes each command can return. The offline commands do not catch signals: the shell reports
 * one that stopped them as 128 + its number all the same. `helper` catches SIGINT, SIGTERM and
 * SIGHUP and stops cleanly (0). Standard output closed or unwritable is 4 for every command whose
 * output is data (src/cli/launch.ts, stdoutErrorAction). docs/report-format.md ("Exit codes",
 * column "commands") restates this; test/unit/cli/exit-codes.test.ts checks both against `--help`.
 */
export const EXIT_CODES_BY_COMMAND: Readonly<Record<string, readonly ExitCode[]>> = {
  run: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.UNAVAILABLE, EXIT.REPORT_WRITE, EXIT.REPORT_LOCKED, ...SIGNALS],
  analyze: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.REPORT_WRITE, EXIT.REPORT_LOCKED, ...SIGNALS],
  helper: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE],
  lab: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.UNAVAILABLE, EXIT.REPORT_WRITE, EXIT.REPORT_LOCKED, EXIT.DIFFERS, ...SIGNALS],
  check: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.REPORT_WRITE, EXIT.DIFFERS, ...SIGNALS],
  diff: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.REPORT_WRITE, EXIT.DIFFERS, ...SIGNALS],
  report: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.REPORT_WRITE, ...SIGNALS],
  control: [EXIT.OK, EXIT.INTERNAL, EXIT.USAGE, EXIT.REPORT_WRITE, EXIT.REPORT_LOCKED, ...SIGNALS],
};

/** Every code of the table, in order. */
export const ALL_EXIT_CODES: readonly ExitCode[] = Object.values(EXIT).sort((a, b) => a - b);

/**
 * exitCodeHelp renders the table for `--help`: `Exit codes:` then one `  N  meaning` line per code,
 * for `command` (a key of {@link EXIT_CODES_BY_COMMAND}: its codes, in its own words where it has
 * some) or every code, in the shared words, when `command` is undefined or unknown.
 */
export function exitCodeHelp(command?: string): string {
  const known = command !== undefined && Object.hasOwn(EXIT_CODES_BY_COMMAND, command);
  const codes = known ? (EXIT_CODES_BY_COMMAND[command] as readonly ExitCode[]) : ALL_EXIT_CODES;
  const own = known ? (MEANING_FOR[command] ?? {}) : {};
  return ['Exit codes:', ...codes.map((c) => `  ${String(c).padStart(3)}  ${own[c] ?? MEANING[c]}`)].join('\n');
}
