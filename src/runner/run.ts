/**
 * The run: measures targets with bounded concurrency, writes each report line as soon as its
 * target finishes (lines are whole; the report is streamed, memory does not grow with the number of
 * targets), and emits typed progress events that only the CLI renders.
 */
import { setMaxListeners } from 'node:events';
import { networkInterfaces } from 'node:os';
import type { ReportRecord, Target } from '../model/index.js';
import { needsScrubbing, scrubRecord } from '../report/index.js';
import type { RunConfig } from './config.js';
import type { RunContext } from './measure-target.js';
import { measureTarget } from './measure-target.js';
import { verdictLabel, type VerdictLabel } from './labels.js';
import type { BaselineRound } from '../model/index.js';
import { DEFAULT_BASELINE_TIMEOUT_MS } from '../outage/index.js';
import { createOutageGate } from './outage-gate.js';
import { internalErrorRecord } from './internal-error.js';
import { createStartGate, type StartGateOptions } from './rate-limit.js';

/** Progress events of a run. */
export type RunEvent =
  | { kind: 'start'; total: number; skipped: number }
  | { kind: 'measured'; index: number; done: number; total: number; record: ReportRecord; label: VerdictLabel }
  /** A round of baseline checks finished (outage detection: before, after a failing streak, after). */
  | { kind: 'baseline'; round: BaselineRound; repeated?: boolean }
  /** A target's measurement hit a bug (never a network failure): its line records the failure (src/runner/internal-error.ts). */
  | { kind: 'error'; index: number; target: string; message: string };

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
  /** Baseline rounds in order (empty without baselines). */
  rounds: BaselineRound[];
  /** Targets whose measurement hit a bug (see the `error` event; each still has its line); 0 in a healthy run. */
  errors: number;
}

/**
 * Measures one target and returns its line: {@link measureTarget}'s shape. Network failures are
 * observations in the line; a throw is a bug (the runner writes an internal-error line instead).
 */
export type MeasureFn = (target: Target, config: RunConfig, context: RunContext, signal?: AbortSignal) => Promise<ReportRecord>;

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
  /** The probe's own addresses, scrubbed from every line; default: this host's interface addresses. */
  probeAddresses?: string[];
  /** Measures one target; default {@link measureTarget} (tests inject a fake: no network). */
  measure?: MeasureFn;
  /** Clock and sleep of the `config.rateLimit` start gate (createStartGate's `now`, ms, and `sleep`); default: the real ones. */
  startGateClock?: Pick<StartGateOptions, 'now' | 'sleep'>;
  /**
   * Awaited together with the first baseline round before the first target starts (the run's other
   * start-up checks, e.g. the resolver's identity into `context`): their waits overlap instead of
   * adding up. Must not reject (a rejection rejects the run).
   */
  ready?: Promise<unknown>;
}

/**
 * The addresses of this host's non-loopback interfaces: the probe's own addresses, which must
 * never appear in a report (a global IPv6 address is public). OONI scrubs its public IP the same way
 * (`model.ScrubMeasurement`).
 */
export function localAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined && !i.internal)
    .map((i) => (i as { address: string }).address.replace(/%.*$/, ''));
}

/**
 * Measures every target with at most `config.concurrency` measurements in flight (targets start in
 * input order; with `config.rateLimit`, each start first waits for its slot). Each line is written
 * when its target finishes, so lines come in completion order (`measured` events carry the input
 * index); the outage gate may hold a failing streak back until its next baseline round. A
 * measurement that throws (a bug) gives its target an internal-error line and an `error` event,
 * and the others go on. After `signal` aborts no target starts, and measurements in flight are
 * dropped (never half-written), so a resumed run measures them again. Rejects when the sink does
 * (e.g. a report write error).
 */
export async function runTargets(targets: readonly Target[], opts: RunTargetsOptions): Promise<RunSummary> {
  const total = targets.length;
  const summary: RunSummary = { measured: 0, total, interrupted: false, counts: {}, rounds: [], errors: 0 };
  opts.onEvent?.({ kind: 'start', total, skipped: opts.skipped ?? 0 });
  opts.context.throttlingBudget ??= { left: opts.config.throttling?.maxEscalations ?? 0 };
  // Every step of every target in flight listens on the run's signal (DoH queries, connects,
  // handshakes, baseline rounds, paired transfers): about 10 per target, so scale the cap with the
  // concurrency instead of warning about a leak that is not one.
  if (opts.signal !== undefined) setMaxListeners(Math.max(200, 16 * opts.config.concurrency), opts.signal);
  const baselines = opts.config.baselines;
  const gate = createOutageGate({
    checks: baselines?.checks ?? [],
    timeoutMs: baselines?.timeoutMs ?? DEFAULT_BASELINE_TIMEOUT_MS,
    streak: baselines?.streak ?? 0,
    extraCa: opts.config.extraCa,
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    onRound: (round, repeated) => opts.onEvent?.({ kind: 'baseline', round, repeated }),
  });
  await Promise.all([(baselines?.checks.length ?? 0) > 0 ? gate.before() : undefined, opts.ready]);
  const indexOf = new Map<string, number>();
  const emit = async (lines: ReportRecord[]): Promise<void> => {
    for (const line of lines) {
      await opts.sink.write(line);
      summary.measured++;
      const label = verdictLabel(line.verdict);
      summary.counts[label] = (summary.counts[label] ?? 0) + 1;
      opts.onEvent?.({ kind: 'measured', index: indexOf.get(line.input) ?? 0, done: summary.measured, total, record: line, label });
    }
  };
  const probeAddresses = opts.probeAddresses ?? localAddresses();
  let next = 0;
  const startGate = opts.config.rateLimit !== undefined ? createStartGate({ perSecond: opts.config.rateLimit, ...opts.startGateClock }) : null;
  const measure = opts.measure ?? measureTarget;
  const worker = async (): Promise<void> => {
    while (next < total && !opts.signal?.aborted) {
      const index = next++;
      if (startGate !== null) await startGate(opts.signal);
      if (opts.signal?.aborted) return;
      const target = targets[index] as Target;
      let measured: ReportRecord;
      const startedAt = new Date();
      try {
        measured = await measure(target, opts.config, opts.context, opts.signal);
      } catch (err) {
        // Network failures are observations, so this is a bug: the target gets a line that
        // records it (never a lost line), and the run goes on with the other targets.
        if (opts.signal?.aborted) return;
        summary.errors++;
        opts.onEvent?.({ kind: 'error', index, target: target.url, message: err instanceof Error ? err.message : String(err) });
        measured = internalErrorRecord(target, opts.config, opts.context, err, startedAt);
      }
      // Copy-and-scrub only the lines that mention one of our addresses (most mention none).
      const record = needsScrubbing(measured, probeAddresses) ? scrubRecord(measured, probeAddresses) : measured;
      if (opts.signal?.aborted) return;
      indexOf.set(record.input, index);
      await emit(await gate.accept(record));
    }
  };
  const n = Math.max(1, Math.min(opts.config.concurrency, total));
  await Promise.all(Array.from({ length: n }, worker));
  const finished = await gate.finish(opts.signal?.aborted !== true);
  await emit(finished.lines);
  summary.rounds = [...gate.rounds];
  summary.interrupted = opts.signal?.aborted === true && summary.measured < total;
  return summary;
}
