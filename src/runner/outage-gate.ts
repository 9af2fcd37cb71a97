/**
 * The outage gate between the measurements and the report (docs/network-state.md):
 * baseline rounds before the run, after a streak of failing targets and after the run; while the
 * vantage is not normal every line's verdict is rewritten (`applyVantage`). Lines of a failing
 * streak are held back (at most `streak` of them) until the next round says whether the network or
 * the sites are to blame, so no line is ever written "blocked" and then contradicted.
 */
import type { BaselineRound, ReportRecord, VantageRecord } from '../model/index.js';
import { applyVantage, runBaselineRound, VANTAGE_THRESHOLDS, type BaselineCheck } from '../outage/index.js';

/** Options of {@link createOutageGate}. */
export interface OutageGateOptions {
  checks: BaselineCheck[];
  /** Per-check timeout, ms. */
  timeoutMs: number;
  /** Consecutive not-accessible targets that trigger a round; 0 = never. */
  streak: number;
  extraCa?: string[];
  signal?: AbortSignal;
  /** Called after every round (console); `repeated`: same state and reason kind as the previous round. */
  onRound?: (round: BaselineRound, repeated: boolean) => void;
}

/** The gate: `before()` once, `accept(record)` per finished target (returns the lines to write now), `finish()` at the end. */
export interface OutageGate {
  before(): Promise<BaselineRound>;
  accept(record: ReportRecord): Promise<ReportRecord[]>;
  /** Flushes held lines and runs the after-run round (skipped when `runAfter` is false, e.g. interrupted). */
  finish(runAfter: boolean): Promise<{ lines: ReportRecord[]; after: BaselineRound | null }>;
  /** Every round so far. */
  readonly rounds: BaselineRound[];
  /** The current vantage (null before the first round). */
  readonly vantage: VantageRecord | null;
}

/** Creates an {@link OutageGate}. With no checks it is a pass-through (no `vantage` field is added). */
export function createOutageGate(opts: OutageGateOptions): OutageGate {
  const rounds: BaselineRound[] = [];
  let vantage: VantageRecord | null = null;
  let held: ReportRecord[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  const enabled = opts.checks.length > 0;
  const once = (when: BaselineRound['when']): Promise<BaselineRound> =>
    runBaselineRound(opts.checks, when, {
      timeoutMs: opts.timeoutMs,
      ...(opts.extraCa !== undefined ? { extraCa: opts.extraCa } : {}),
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    });
  const round = async (when: BaselineRound['when']): Promise<BaselineRound> => {
    let r = await once(when);
    // A round during which the probe's own event loop stalled measured the probe, not the network:
    // run it once more before believing a bad state (docs/network-state.md).
    if (r.state !== 'normal' && (r.loop_delay_ms ?? 0) >= VANTAGE_THRESHOLDS.loopStallMs && opts.signal?.aborted !== true) r = await once(when);
    const previous = rounds.at(-1);
    rounds.push(r);
    opts.onRound?.(r, previous !== undefined && previous.state === r.state);
    return r;
  };
  const stamp = (rec: ReportRecord): ReportRecord => (vantage === null ? rec : applyVantage(rec, vantage));
  // Serialise accept() calls: workers finish concurrently, rounds must not overlap.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };
  return {
    rounds,
    get vantage() {
      return vantage;
    },
    async before() {
      const r = await round('before');
      vantage = { state: r.state, reason: r.reason, round: r };
      return r;
    },
    accept(record) {
      return serial(async () => {
        if (!enabled) return [record];
        const failing = fetchFailed(record);
        // Failing lines are held for the next round whatever the current state, so that a network
        // that recovers is seen as recovered (and one that breaks, as broken).
        if (!failing || opts.streak <= 0) {
          const out = [...held, record].map(stamp);
          held = [];
          return out;
        }
        held.push(record);
        if (held.length < opts.streak) return [];
        const r = await round('streak');
        vantage = { state: r.state, reason: r.reason, round: r };
        const out = held.map(stamp);
        held = [];
        return out;
      });
    },
    finish(runAfter) {
      return serial(async () => {
        const lines = held.map(stamp);
        held = [];
        const after = enabled && runAfter ? await round('after') : null;
        return { lines, after };
      });
    },
  };
}

/**
 * Whether a line counts toward a failing streak: the probe got no HTTP response at all (and the
 * verdict is not "accessible"). An "inconclusive" line whose fetch worked (no control to compare
 * with: the default DoH path over plain HTTP) is not a sign of an outage; counting it made the
 * default path run a baseline round every few targets (docs/network-state.md, `npm run bench`).
 */
export function fetchFailed(record: ReportRecord): boolean {
  if (record.verdict.accessible === true) return false;
  if (record.verdict.accessible === false) return true;
  return !record.observations.requests.some((r) => r.response != null && r.failure === null);
}
