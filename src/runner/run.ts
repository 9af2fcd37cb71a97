/**
 * The run: measures targets with bounded concurrency, writes each report line as soon as its
 * target finishes (lines are whole; the report is streamed, memory does not grow with the number of
 * targets), and emits typed progress events that only the CLI renders.
 */
import type { ReportRecord, Target } from '../model/index.js';
import type { RunConfig } from './config.js';
import type { RunContext } from './measure-target.js';
import { measureTarget } from './measure-target.js';
import { verdictLabel, type VerdictLabel } from './labels.js';

/** Progress events of a run. */
export type RunEvent =
  | { kind: 'start'; total: number; skipped: number }
  | { kind: 'measured'; index: number; done: number; total: number; record: ReportRecord; label: VerdictLabel };

/** Where finished lines go. */
export interface RecordSink {
  write(record: ReportRecord): Promise<void>;
}

/** What a run did. */
export interface RunSummary {
  measured: number;
  total: number;
  interrupted: boolean;
  counts: Partial<Record<VerdictLabel, number>>;
}

/** Options of {@link runTargets}. */
export interface RunTargetsOptions {
  config: RunConfig;
  context: RunContext;
  sink: RecordSink;
  onEvent?: (e: RunEvent) => void;
  /** Stops scheduling and aborts measurements in flight; aborted targets are not written. */
  signal?: AbortSignal;
  /** Targets already measured (for the start event). */
  skipped?: number;
}

/**
 * Measures every target. Interrupted measurements are dropped (never half-written), so a resumed
 * run measures them again.
 */
export async function runTargets(targets: readonly Target[], opts: RunTargetsOptions): Promise<RunSummary> {
  const total = targets.length;
  const summary: RunSummary = { measured: 0, total, interrupted: false, counts: {} };
  opts.onEvent?.({ kind: 'start', total, skipped: opts.skipped ?? 0 });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total && !opts.signal?.aborted) {
      const index = next++;
      const target = targets[index] as Target;
      const record = await measureTarget(target, opts.config, opts.context, opts.signal);
      if (opts.signal?.aborted) return;
      await opts.sink.write(record);
      summary.measured++;
      const label = verdictLabel(record.verdict);
      summary.counts[label] = (summary.counts[label] ?? 0) + 1;
      opts.onEvent?.({ kind: 'measured', index, done: summary.measured, total, record, label });
    }
  };
  const n = Math.max(1, Math.min(opts.config.concurrency, total));
  await Promise.all(Array.from({ length: n }, worker));
  summary.interrupted = opts.signal?.aborted === true && summary.measured < total;
  return summary;
}
