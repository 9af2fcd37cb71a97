/**
 * Progress of a long run, as people watch it:
 * - on a terminal (and without -q): a bar with the count, the rate (targets/s) and the ETA, drawn by
 *   cli-progress; the per-target lines are printed above it;
 * - otherwise (output redirected, or -q): one plain line every `intervalMs` (30 s by default),
 *   `progress: 120/1722 (7%), 1.4 targets/s, ETA 19m05s`, on standard error, with no escape codes.
 * The clock and the timer are injectable so the periodic line is tested without waiting.
 */
import cliProgress from 'cli-progress';

/** Milliseconds since some fixed origin (monotonic). */
export type NowMs = () => number;

/** A repeating timer: `every(ms, fn)` returns a function that stops it. */
export type Every = (ms: number, fn: () => void) => () => void;

/** The real timer (unref'd: a pending progress tick never keeps the process alive). */
export const realEvery: Every = (ms, fn) => {
  const t = setInterval(fn, ms);
  t.unref();
  return () => clearInterval(t);
};

/** What the run tells the progress display. */
export interface Progress {
  /** The run starts with `total` targets to measure. */
  start(total: number): void;
  /** `done` targets are measured (of `total`). */
  update(done: number): void;
  /** Prints a line (a per-target line) without breaking the bar. */
  log(line: string): void;
  /** The run ended: remove the bar / stop the timer. */
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Where the bar or the periodic lines go (the bar only if it is a TTY). */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Where per-target lines go (`log`). */
  lines: NodeJS.WritableStream;
  /** Draw a bar (the stream is a TTY, not -q). False: periodic plain lines. */
  bar: boolean;
  /** Period of the plain lines, ms (default 30000). */
  intervalMs?: number;
  now?: NowMs;
  every?: Every;
}

/** Formats seconds as `1h02m`, `19m05s` or `42s`; `?` when unknown (no rate yet). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

/** Rate (targets/s) and ETA (s) after `done` of `total` in `elapsedMs`. Pure. */
export function progressFigures(done: number, total: number, elapsedMs: number): { rate: number; etaS: number } {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const etaS = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
  return { rate, etaS };
}

/** The periodic line: `progress: 120/1722 (7%), 1.4 targets/s, ETA 19m05s`. Pure. */
export function progressLine(done: number, total: number, elapsedMs: number): string {
  const { rate, etaS } = progressFigures(done, total, elapsedMs);
  const pct = total > 0 ? Math.floor((done * 100) / total) : 100;
  return `progress: ${done}/${total} (${pct}%), ${rate.toFixed(1)} targets/s, ETA ${formatDuration(etaS)}`;
}

/** Creates the progress display for one run. */
export function createProgress(o: ProgressOptions): Progress {
  const now = o.now ?? (() => performance.now());
  const every = o.every ?? realEvery;
  let started = 0;
  let total = 0;
  let done = 0;
  if (o.bar) {
    const multi = new cliProgress.MultiBar(
      {
        stream: o.stream,
        format: '{bar} {value}/{total} | {rate} targets/s | ETA {eta_text}',
        barsize: 30,
        hideCursor: false,
        clearOnComplete: true,
        fps: 5,
        gracefulExit: false, // the run handles SIGINT/SIGTERM itself
      },
      cliProgress.Presets.shades_classic,
    );
    let bar: cliProgress.SingleBar | null = null;
    const payload = (): { rate: string; eta_text: string } => {
      const f = progressFigures(done, total, now() - started);
      return { rate: f.rate.toFixed(1), eta_text: formatDuration(f.etaS) };
    };
    return {
      start(n) {
        total = n;
        started = now();
        bar = multi.create(n, 0, payload());
      },
      update(d) {
        done = d;
        bar?.update(d, payload());
      },
      log(line) {
        if (bar === null) o.lines.write(`${line}\n`);
        else multi.log(`${line}\n`);
      },
      stop() {
        if (bar === null) return;
        bar = null;
        multi.update(); // flush the lines logged since the last redraw (stop() alone drops them)
        multi.stop();
      },
    };
  }
  let stopTimer: (() => void) | null = null;
  return {
    start(n) {
      total = n;
      started = now();
      stopTimer = every(o.intervalMs ?? 30_000, () => {
        o.stream.write(`${progressLine(done, total, now() - started)}\n`);
      });
    },
    update(d) {
      done = d;
    },
    log(line) {
      o.lines.write(`${line}\n`);
    },
    stop() {
      stopTimer?.();
      stopTimer = null;
    },
  };
}
