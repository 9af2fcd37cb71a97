/**
 * The throttling decision over paired transfers (peers-and-methods 3.5 "Decision", first matching
 * rule wins): validity, blocking beats throttling, freeze, rate (ratio of medians + one-sided
 * Mann-Whitney U + KS on 250 ms samples), handshake-only, mechanism hint, attribution. Pure.
 */
import type { ThrottlingDecision, ThrottlingRecord, TransferMetrics } from '../model/index.js';
import { coefficientOfVariation, ksTwoSample, mannWhitneyLess, median } from './stats.js';
import { BIN_MS } from './metrics.js';

/**
 * Thresholds, all from peers-and-methods 3.5 (which cites OONI dd-007 for the 10× "extreme"
 * class and Wehe's `Replay.java` for the 50 %/30 % area thresholds and the 10 Mbit/s switch).
 */
export const THRESHOLDS = Object.freeze({
  /** Rule 1: usable transfers needed per arm. */
  minUsable: 3,
  /** Rule 2: target transfers failing before any body byte, out of the pairs, for "blocked". */
  blockedFraction: 0.8,
  /** Rule 3: freeze window and spread. */
  freezeMinBytes: 4 * 1024,
  freezeMaxBytes: 128 * 1024,
  freezeSpread: 0.25,
  freezeMinTrials: 3,
  /** Rule 4: ratios and p-values. */
  severeRatio: 0.1,
  throttledRatio: 0.5,
  throttledRatioFast: 0.7,
  fastReferenceBps: 10_000_000,
  inconclusiveRatio: 0.7,
  alpha: 0.01,
  /** Rule 5: handshake-only. */
  handshakeFloorMs: 1000,
  handshakeConnectFactor: 10,
  handshakeReferenceFactor: 5,
  /** Rule 6: policer hint. */
  policerMaxCv: 0.25,
  policerMaxBps: 1_000_000,
  /** Rule 7: the control is "slow too" when its goodput <= 2 × the target's. */
  serverSlowFactor: 2,
  /** Rule 7: every reference is slow (network degraded) below this goodput, bits/s. */
  degradedReferenceBps: 1_000_000,
});

/** Input of {@link decideThrottling}. `controlGoodputBps`: the helper's goodput for the same URL (bits/s), null when unknown. */
export interface DecisionInput {
  transfers: readonly TransferMetrics[];
  controlGoodputBps: number | null;
}

const fmtBps = (bps: number | null): string =>
  bps === null ? 'n/a' : bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${(bps / 1e3).toFixed(1)} kbit/s`;
const fmtP = (p: number): string => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));
const fmtRatio = (r: number): string => (r < 0.01 ? r.toExponential(1) : r.toFixed(3));

/** A transfer is usable when the connection (and TLS) succeeded and a response head arrived. */
function usable(t: TransferMetrics): boolean {
  return t.failed_operation !== 'connect' && t.failed_operation !== 'tls_handshake' && t.t_ttfb_ms !== null;
}

/** Rates of the non-zero full 250 ms bins, bytes/s (Wehe uses the non-zero samples). */
function binRates(ts: readonly TransferMetrics[]): number[] {
  return ts.flatMap((t) => t.samples.filter((b) => b > 0).map((b) => (b * 1000) / BIN_MS));
}

/**
 * decideThrottling applies rules 1-7 in order and returns the decision with its figures and
 * reasons. Outcomes: `blocked` (rule 2: the target arm fails before any byte in >= 80 % of trials
 * while the reference works: blocking, reported by the main verdict, not throttling);
 * `inconclusive` (rule 1: an arm has < 3 usable transfers, or rule 4's grey zone);
 * `throttled_freeze` (rule 3); `throttled_severe` / `throttled` (rule 4); `throttled_handshake`
 * (rule 5); `server_slow` (rule 7: the control is slow too, so the server is slow, not throttled);
 * else `not_throttled` (with `attribution: 'network_degraded'` when every reference is slow).
 * Never throws.
 */
export function decideThrottling(input: DecisionInput): ThrottlingDecision {
  const T = THRESHOLDS;
  const A = input.transfers.filter((t) => t.arm === 'target');
  const B = input.transfers.filter((t) => t.arm === 'reference');
  const uA = A.filter(usable);
  const uB = B.filter(usable);
  const gA = uA.map((t) => t.goodput_bps).filter((g): g is number => g !== null);
  const gB = uB.map((t) => t.goodput_bps).filter((g): g is number => g !== null);
  const tlsA = A.map((t) => t.t_tls_ms).filter((x): x is number => x !== null);
  const tlsB = B.map((t) => t.t_tls_ms).filter((x): x is number => x !== null);
  const connA = A.map((t) => t.t_connect_ms).filter((x): x is number => x !== null);
  const d: ThrottlingDecision = {
    outcome: 'not_throttled',
    throttled: false,
    goodput_bps: { target: gA.length > 0 ? Math.round(median(gA)) : null, reference: gB.length > 0 ? Math.round(median(gB)) : null, control: input.controlGoodputBps },
    ratio: null,
    mann_whitney_u: null,
    p_value: null,
    ks_p_value: null,
    freeze_after_bytes: null,
    handshake_ms: { target: tlsA.length > 0 ? median(tlsA) : null, reference: tlsB.length > 0 ? median(tlsB) : null },
    handshake_p_value: null,
    trials: { target: uA.length, reference: uB.length },
    attribution: null,
    mechanism: null,
    plateau_kbps: null,
    reasons: [],
  };
  const done = (outcome: ThrottlingDecision['outcome'], reason: string): ThrottlingDecision => {
    d.outcome = outcome;
    d.throttled = outcome.startsWith('throttled');
    d.reasons.unshift(reason);
    return d;
  };

  // Rule 1 (reference side) and rule 2.
  if (uB.length < T.minUsable) {
    return done('inconclusive', `reference arm unusable: ${uB.length} of ${B.length} transfers got a response (need ${T.minUsable}); nothing can be compared`);
  }
  const failedEarly = A.filter((t) => !usable(t)).length;
  if (A.length > 0 && failedEarly >= Math.ceil(T.blockedFraction * A.length)) {
    const f = A.find((t) => !usable(t));
    return done('blocked', `target arm failed before any response in ${failedEarly} of ${A.length} transfers (${f?.failure ?? 'failure'}) while the reference worked: blocking, not throttling`);
  }
  if (uA.length < T.minUsable) {
    return done('inconclusive', `target arm unusable: ${uA.length} of ${A.length} transfers got a response (need ${T.minUsable})`);
  }

  // Rule 3: freeze.
  const stalls = uA.map((t) => t.stall_after_bytes).filter((s): s is number => s !== null && s >= T.freezeMinBytes && s <= T.freezeMaxBytes);
  const refCompleted = uB.filter((t) => t.stall_after_bytes === null && t.completed).length;
  if (stalls.length >= T.freezeMinTrials && refCompleted >= T.minUsable) {
    const s = median(stalls);
    const close = stalls.filter((x) => Math.abs(x - s) <= T.freezeSpread * s);
    if (close.length >= T.freezeMinTrials) {
      d.freeze_after_bytes = Math.round(median(close));
      return done('throttled_freeze', `target transfers froze after ${d.freeze_after_bytes} bytes in ${close.length} of ${A.length} trials (within ±${T.freezeSpread * 100} %) while ${refCompleted} reference transfers completed`);
    }
  }

  // Rule 4: rate.
  let rateOutcome: ThrottlingDecision['outcome'] | null = null;
  if (gA.length >= T.minUsable && gB.length >= T.minUsable) {
    const mA = median(gA);
    const mB = median(gB);
    const r = mB > 0 ? mA / mB : 1;
    const mwu = mannWhitneyLess(gA, gB);
    const ks = ksTwoSample(binRates(uA), binRates(uB));
    d.ratio = Number(r.toPrecision(3));
    d.mann_whitney_u = mwu.statistic;
    d.p_value = mwu.p;
    d.ks_p_value = ks.p;
    const cv = coefficientOfVariation(gA);
    if (cv <= T.policerMaxCv && mA < T.policerMaxBps) {
      d.mechanism = 'policer';
      d.plateau_kbps = Math.round(mA / 1000);
    } else if (cv > T.policerMaxCv && mB < T.degradedReferenceBps) d.mechanism = 'congestion';
    const figures = `target ${fmtBps(mA)} vs reference ${fmtBps(mB)} (median of ${gA.length} and ${gB.length}), ratio ${fmtRatio(d.ratio)}, one-sided Mann-Whitney U=${mwu.statistic} p=${fmtP(mwu.p)}, KS p=${fmtP(ks.p)}`;
    const limit = mB > T.fastReferenceBps ? T.throttledRatioFast : T.throttledRatio;
    const mwuOk = mwu.p <= T.alpha;
    const ksOk = ks.p < T.alpha;
    if (r <= T.severeRatio && mwuOk) rateOutcome = 'throttled_severe';
    else if (r <= limit && mwuOk && ksOk) rateOutcome = 'throttled';
    else if (r <= T.inconclusiveRatio || mwuOk !== ksOk) rateOutcome = 'inconclusive';
    // Rule 7: attribution.
    if (rateOutcome !== null && rateOutcome !== 'inconclusive' && input.controlGoodputBps !== null && input.controlGoodputBps <= T.serverSlowFactor * mA) {
      d.attribution = 'server_slow';
      return done('server_slow', `the control fetched at ${fmtBps(input.controlGoodputBps)}, as slow as the target arm (${fmtBps(mA)}): the server is slow, not throttled`);
    }
    if (mB < T.degradedReferenceBps && (input.controlGoodputBps === null || input.controlGoodputBps > T.serverSlowFactor * mB)) d.attribution = 'network_degraded';
    if (rateOutcome === 'throttled_severe') return done(rateOutcome, `throttled: the target is more than 10× slower than the reference: ${figures}`);
    if (rateOutcome === 'throttled') return done(rateOutcome, `throttled: ${figures}`);
    d.reasons.push(figures);
  }

  // Rule 5: handshake-only.
  if (tlsA.length >= T.minUsable && tlsB.length >= T.minUsable && connA.length > 0) {
    const hA = median(tlsA);
    const hB = median(tlsB);
    const test = mannWhitneyLess(tlsB, tlsA); // reference handshakes faster = target slower
    d.handshake_p_value = test.p;
    if (hA >= Math.max(T.handshakeFloorMs, T.handshakeConnectFactor * median(connA)) && hA >= T.handshakeReferenceFactor * hB && test.p <= T.alpha) {
      return done('throttled_handshake', `throttled handshake: TLS took ${hA.toFixed(0)} ms with the target's SNI vs ${hB.toFixed(0)} ms with the reference (median of ${tlsA.length} and ${tlsB.length}; connect ${median(connA).toFixed(1)} ms), one-sided Mann-Whitney p=${fmtP(test.p)}`);
    }
  }

  if (rateOutcome === 'inconclusive') return done('inconclusive', `inconclusive: the target looks slower but the tests disagree or the ratio is in the grey zone (${T.throttledRatio}-${T.inconclusiveRatio})`);
  if (d.attribution === 'network_degraded') {
    return done('not_throttled', `not throttled: the reference is as slow as the target (${fmtBps(d.goodput_bps.reference)}): the network path is degraded, not the target`);
  }
  if (input.controlGoodputBps !== null && d.goodput_bps.target !== null && input.controlGoodputBps <= T.serverSlowFactor * d.goodput_bps.target && d.goodput_bps.target < T.degradedReferenceBps) {
    d.attribution = 'server_slow';
    return done('not_throttled', `not throttled: target and reference are equally fast, and the control is slow too (${fmtBps(input.controlGoodputBps)}): the server is slow`);
  }
  return done('not_throttled', gA.length >= T.minUsable && gB.length >= T.minUsable ? 'not throttled: target and reference arms are equally fast' : 'not throttled: no handshake or goodput difference between the arms');
}

/** The sentence the verdict carries for a throttled decision (with goodputs, ratio, p-value, freeze bytes, trials). */
export function throttlingReason(d: ThrottlingDecision, seed: number): string {
  const parts = [d.reasons[0] ?? d.outcome];
  parts.push(`trials ${d.trials.target}+${d.trials.reference}, seed ${seed}`);
  if (d.mechanism === 'policer' && d.plateau_kbps !== null) parts.push(`flat plateau ~${d.plateau_kbps} kbit/s: a policer is likely`);
  return parts.join('; ');
}

/**
 * throttlingHook returns the classifier's `detectThrottling` hook for a measurement's throttling
 * record: the decision is re-derived from the recorded paired transfers with the current rules (so
 * the probe and `analyze --reclassify` decide the same way), keeping the recorded control goodput.
 * Undefined when no escalation ran or the transfers do not show throttling.
 */
export function throttlingHook(record: ThrottlingRecord | null | undefined): (() => string) | undefined {
  const e = record?.escalation;
  if (e === null || e === undefined) return undefined;
  const d = decideThrottling({ transfers: e.transfers, controlGoodputBps: e.decision.goodput_bps.control });
  return d.throttled ? () => throttlingReason(d, e.seed) : undefined;
}
