/**
 * The throttling decision over paired transfers (docs/throttling.md "Decision", first matching
 * rule wins): validity, blocking beats throttling, freeze, rate (ratio of medians + one-sided
 * Mann-Whitney U + KS on 250 ms samples), handshake-only, mechanism hint, attribution. Pure.
 */
import type { ThrottlingDecision, ThrottlingRecord, TransferMetrics } from '../model/index.js';
import { coefficientOfVariation, ksTwoSample, mannWhitneyLess, median } from './stats.js';
import { BIN_MS } from './metrics.js';

/**
 * Thresholds, all from docs/throttling.md (which cites OONI dd-007 for the 10× "extreme"
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

/**
 * Input of {@link decideThrottling}.
 * - `transfers`: every transfer of the escalation (arms `target`, `reference`, `other_path`);
 * - `controlGoodputBps`: the helper's goodput for the same URL (bits/s), null when unknown;
 * - `controlSlow` (optional): the helper's own fetch ran into its deadline after body bytes
 *   arrived (slow for the control too, even without a rate).
 */
export interface DecisionInput {
  transfers: readonly TransferMetrics[];
  controlGoodputBps: number | null;
  controlSlow?: boolean;
}

/** formatBps renders bits/s as `1.23 Mbit/s` or `150.0 kbit/s` (`n/a` for null). */
export const formatBps = (bps: number | null): string =>
  bps === null ? 'n/a' : bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${(bps / 1e3).toFixed(1)} kbit/s`;
const fmtBps = formatBps;
const fmtP = (p: number): string => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));
const fmtRatio = (r: number): string => (r < 0.01 ? r.toExponential(1) : r.toFixed(3));

/** A transfer is usable when the connection (and TLS) succeeded and a response head arrived. */
function usable(t: TransferMetrics): boolean {
  return t.failed_operation !== 'connect' && t.failed_operation !== 'tls_handshake' && t.t_ttfb_ms !== null;
}

/** Failed before the handshake completed (connect or TLS): "failed before any byte" (rule 2). A slow handshake that completed is not. */
function failedBeforeHandshake(t: TransferMetrics): boolean {
  return t.failed_operation === 'connect' || t.failed_operation === 'tls_handshake';
}

/** Reset after a completed handshake, before any response byte (data-triggered reset). */
function resetOnData(t: TransferMetrics): boolean {
  return t.failed_operation === 'http_round_trip' && t.failure === 'connection_reset' && t.t_ttfb_ms === null;
}

/** Rates of the non-zero full 250 ms bins, bytes/s (Wehe uses the non-zero samples). */
function binRates(ts: readonly TransferMetrics[]): number[] {
  return ts.flatMap((t) => t.samples.filter((b) => b > 0).map((b) => (b * 1000) / BIN_MS));
}

const goodputs = (ts: readonly TransferMetrics[]): number[] => ts.map((t) => t.goodput_bps).filter((g): g is number => g !== null);
const medianOrNull = (xs: readonly number[]): number | null => (xs.length > 0 ? Math.round(median(xs)) : null);

/** Rate comparison of the target arm with another arm (rule 4). */
interface RateTest {
  ratio: number;
  u: number;
  p: number;
  ks: number;
  mA: number;
  mB: number;
  outcome: 'throttled_severe' | 'throttled' | 'inconclusive' | 'same';
  figures: string;
}

function rateTest(uA: readonly TransferMetrics[], uB: readonly TransferMetrics[], name: string): RateTest | null {
  const T = THRESHOLDS;
  const gA = goodputs(uA);
  const gB = goodputs(uB);
  if (gA.length < T.minUsable || gB.length < T.minUsable) return null;
  const mA = median(gA);
  const mB = median(gB);
  const r = mB > 0 ? mA / mB : 1;
  const mwu = mannWhitneyLess(gA, gB);
  const ks = ksTwoSample(binRates(uA), binRates(uB));
  const limit = mB > T.fastReferenceBps ? T.throttledRatioFast : T.throttledRatio;
  const mwuOk = mwu.p <= T.alpha;
  const ksOk = ks.p < T.alpha;
  const outcome = r <= T.severeRatio && mwuOk ? 'throttled_severe'
    : r <= limit && mwuOk && ksOk ? 'throttled'
    : r <= T.inconclusiveRatio || mwuOk !== ksOk ? 'inconclusive' : 'same';
  const ratio = Number(r.toPrecision(3));
  const figures = `target ${fmtBps(mA)} vs ${name} ${fmtBps(mB)} (median of ${gA.length} and ${gB.length}), ratio ${fmtRatio(ratio)}, one-sided Mann-Whitney U=${mwu.statistic} p=${fmtP(mwu.p)}, KS p=${fmtP(ks.p)}`;
  return { ratio, u: mwu.statistic, p: mwu.p, ks: ks.p, mA, mB, outcome, figures };
}

/**
 * decideThrottling decides over the three arms (docs/throttling.md "Decision"; docs/throttling.md
 * 3.5 rules 1-7, first match wins):
 * 0. data-triggered reset: the target and the harmless name both reset after a completed
 *    handshake in >= 80 % of their transfers while the other path works: `blocked` with
 *    `interference` (the address and port, whatever the name);
 * 1. validity: the reference or the other path needs >= 3 usable transfers, else `inconclusive`;
 * 5 (tried first). handshake: completed handshakes >= max(1 s, 10 × connect) and >= 5 × the
 *    reference's, MWU p <= 0.01: `throttled_handshake` (a slow handshake is not a failure);
 * 2. blocking: the target fails at connect or TLS in >= 80 % of trials: `blocked`;
 * 3. freeze: `throttled_freeze`;
 * 4. rate, target vs reference: throttled → `key: 'name'`; else target vs other path with the
 *    reference as slow as the target and the control fast → `key: 'address'`; the control slow
 *    too → `server_slow`; every arm slow → `not_throttled` with `attribution: 'network_degraded'`.
 * Never throws.
 */
export function decideThrottling(input: DecisionInput): ThrottlingDecision {
  const T = THRESHOLDS;
  const A = input.transfers.filter((t) => t.arm === 'target');
  const B = input.transfers.filter((t) => t.arm === 'reference');
  const O = input.transfers.filter((t) => t.arm === 'other_path');
  const uA = A.filter(usable);
  const uB = B.filter(usable);
  const uO = O.filter(usable);
  const tlsA = A.map((t) => t.t_tls_ms).filter((x): x is number => x !== null);
  const tlsB = B.map((t) => t.t_tls_ms).filter((x): x is number => x !== null);
  const connA = A.map((t) => t.t_connect_ms).filter((x): x is number => x !== null);
  const control = input.controlGoodputBps;
  const d: ThrottlingDecision = {
    outcome: 'not_throttled',
    throttled: false,
    goodput_bps: { target: medianOrNull(goodputs(uA)), reference: medianOrNull(goodputs(uB)), other_path: medianOrNull(goodputs(uO)), control },
    key: null,
    compared_with: null,
    ratio: null,
    mann_whitney_u: null,
    p_value: null,
    ks_p_value: null,
    freeze_after_bytes: null,
    handshake_ms: { target: tlsA.length > 0 ? median(tlsA) : null, reference: tlsB.length > 0 ? median(tlsB) : null },
    handshake_p_value: null,
    trials: { target: uA.length, reference: uB.length, other_path: uO.length },
    interference: null,
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
  const use = (t: RateTest, arm: 'reference' | 'other_path'): void => {
    d.compared_with = arm;
    d.ratio = t.ratio;
    d.mann_whitney_u = t.u;
    d.p_value = t.p;
    d.ks_p_value = t.ks;
  };
  const controlSlow = (rate: number): boolean => input.controlSlow === true || (control !== null && control <= T.serverSlowFactor * rate);

  // Rule 0: a reset on data after the handshake, for the target's name and the harmless one alike.
  const resetA = A.filter(resetOnData).length;
  const resetB = B.filter(resetOnData).length;
  if (A.length > 0 && B.length > 0 && resetA >= Math.ceil(T.blockedFraction * A.length) && resetB >= Math.ceil(T.blockedFraction * B.length) && (O.length === 0 || uO.length >= T.minUsable)) {
    const address = A[0]?.address ?? '';
    d.interference = { kind: 'reset_on_data', address, names: [...new Set([...A, ...B].map((t) => t.sni ?? t.host))] };
    return done('blocked', `every connection to ${address} was reset on its first data after a completed handshake, with the target's name (${resetA} of ${A.length}) and with a harmless name (${resetB} of ${B.length})${uO.length > 0 ? `, while the other path worked (${uO.length} of ${O.length})` : ''}: interference with the address and port, whatever the name (or residual blocking: a censor that keeps resetting an address for a while after one trigger looks the same)`);
  }

  // Rule 1: a comparison arm is needed.
  const compare = uB.length >= T.minUsable ? uB : uO.length >= T.minUsable ? uO : null;
  if (compare === null) {
    return done('inconclusive', `reference arms unusable: ${uB.length} of ${B.length} same-address and ${uO.length} of ${O.length} other-path transfers got a response (need ${T.minUsable}); nothing can be compared`);
  }

  // Rule 5, tried before blocking: a handshake that completed slowly is throttling, not a failure.
  const refTls = (uB.length >= T.minUsable ? B : O).map((t) => t.t_tls_ms).filter((x): x is number => x !== null);
  if (tlsA.length >= T.minUsable && refTls.length >= T.minUsable && connA.length > 0) {
    const hA = median(tlsA);
    const hB = median(refTls);
    const test = mannWhitneyLess(refTls, tlsA);
    d.handshake_p_value = test.p;
    d.handshake_ms.reference = hB;
    if (hA >= Math.max(T.handshakeFloorMs, T.handshakeConnectFactor * median(connA)) && hA >= T.handshakeReferenceFactor * hB && test.p <= T.alpha) {
      const rate = rateTest(uA, uB.length >= T.minUsable ? uB : uO, uB.length >= T.minUsable ? 'reference' : 'other path');
      if (rate !== null) use(rate, uB.length >= T.minUsable ? 'reference' : 'other_path');
      else {
        d.compared_with = uB.length >= T.minUsable ? 'reference' : 'other_path';
        d.ratio = Number((hB / hA).toPrecision(3));
        d.p_value = test.p;
        d.mann_whitney_u = test.statistic;
      }
      d.key = uB.length >= T.minUsable ? 'name' : null;
      return done('throttled_handshake', `throttled handshake: TLS took ${hA.toFixed(0)} ms with the target's SNI vs ${hB.toFixed(0)} ms with the reference (median of ${tlsA.length} and ${refTls.length}; connect ${median(connA).toFixed(1)} ms), one-sided Mann-Whitney p=${fmtP(test.p)}${rate !== null ? `; ${rate.figures}` : ''}`);
    }
  }

  // Rule 2: blocking beats throttling (failures at connect or TLS only).
  const failedEarly = A.filter(failedBeforeHandshake).length;
  if (A.length > 0 && failedEarly >= Math.ceil(T.blockedFraction * A.length)) {
    const f = A.find(failedBeforeHandshake);
    if (uB.length >= T.minUsable) d.key = 'name';
    return done('blocked', `target arm failed before the handshake completed in ${failedEarly} of ${A.length} transfers (${f?.failure ?? 'failure'}) while the reference worked: blocking, not throttling`);
  }
  if (uA.length < T.minUsable) {
    return done('inconclusive', `target arm unusable: ${uA.length} of ${A.length} transfers got a response (need ${T.minUsable})`);
  }

  // Rule 3: freeze (a stop of the bytes on the wire at the same point).
  const stalls = uA.map((t) => t.stall_after_bytes).filter((s): s is number => s !== null && s >= T.freezeMinBytes && s <= T.freezeMaxBytes);
  const refCompleted = compare.filter((t) => t.stall_after_bytes === null && t.completed).length;
  if (stalls.length >= T.freezeMinTrials && refCompleted >= T.minUsable) {
    const s = median(stalls);
    const close = stalls.filter((x) => Math.abs(x - s) <= T.freezeSpread * s);
    if (close.length >= T.freezeMinTrials) {
      d.freeze_after_bytes = Math.round(median(close));
      // A frozen transfer has no goodput: compare the average rates over each transfer's time.
      const avg = (ts: readonly TransferMetrics[]): number[] => ts.filter((t) => t.duration_ms > 0).map((t) => (8000 * (t.wire_bytes ?? t.bytes)) / t.duration_ms);
      const aA = avg(uA);
      const aB = avg(compare);
      if (aA.length >= T.minUsable && aB.length >= T.minUsable && median(aB) > 0) {
        const mwu = mannWhitneyLess(aA, aB);
        d.compared_with = compare === uB ? 'reference' : 'other_path';
        d.ratio = Number((median(aA) / median(aB)).toPrecision(3));
        d.mann_whitney_u = mwu.statistic;
        d.p_value = mwu.p;
      }
      d.key = compare === uB ? 'name' : null;
      return done('throttled_freeze', `target transfers froze after ${d.freeze_after_bytes} bytes in ${close.length} of ${A.length} trials (within ±${T.freezeSpread * 100} %) while ${refCompleted} reference transfers completed`);
    }
  }

  // Rule 4: rate, first against the same address with a harmless name, then the other path.
  const vsB = rateTest(uA, uB, 'same address with a harmless name');
  const vsO = rateTest(uA, uO, 'other path');
  const policerHint = (): void => {
    const gA = goodputs(uA);
    const cv = coefficientOfVariation(gA);
    const mA = median(gA);
    if (cv <= T.policerMaxCv && mA < T.policerMaxBps) {
      d.mechanism = 'policer';
      d.plateau_kbps = Math.round(mA / 1000);
    } else if (cv > T.policerMaxCv && (d.goodput_bps.reference ?? Infinity) < T.degradedReferenceBps) d.mechanism = 'congestion';
  };
  if (vsB !== null || vsO !== null) policerHint();
  const throttledBy = (t: RateTest | null): boolean => t !== null && (t.outcome === 'throttled' || t.outcome === 'throttled_severe');
  if (vsB !== null && throttledBy(vsB)) {
    use(vsB, 'reference');
    if (controlSlow(vsB.mA)) {
      d.attribution = 'server_slow';
      return done('server_slow', `the control fetched at ${fmtBps(control)}, as slow as the target arm (${fmtBps(vsB.mA)}): the server is slow, not throttled`);
    }
    d.key = 'name';
    const outcome = vsB.outcome === 'throttled_severe' ? 'throttled_severe' : 'throttled';
    return done(outcome, `throttled by name${outcome === 'throttled_severe' ? ' (more than 10× slower)' : ''}: ${vsB.figures}`);
  }
  // Same address slow whatever the name: the other path and the control tell address from server and network.
  if (vsO !== null && throttledBy(vsO)) {
    const refSlow = vsB === null || vsB.outcome === 'same' || vsB.outcome === 'inconclusive';
    if (controlSlow(vsO.mA)) {
      use(vsO, 'other_path');
      d.attribution = 'server_slow';
      return done('server_slow', `the control fetched ${control !== null ? `at ${fmtBps(control)}` : 'slowly too (its fetch ran into its deadline)'}, as slow as the target (${fmtBps(vsO.mA)}): the server is slow, not throttled`);
    }
    if (refSlow) {
      use(vsO, 'other_path');
      // Without a rate for the harmless name (a server that does not serve it), the key is unknown.
      d.key = vsB === null ? null : 'address';
      const outcome = vsO.outcome === 'throttled_severe' ? 'throttled_severe' : 'throttled';
      if (d.key === null) return done(outcome, `throttled: the target is slow while the other path is fast and the control fetched the page${control !== null ? ` at ${fmtBps(control)}` : ''} (the same address gave no rate with a harmless name): ${vsO.figures}`);
      return done(outcome, `throttled by address: the target and the same address with a harmless name are both slow (${fmtBps(vsO.mA)} and ${fmtBps(d.goodput_bps.reference)}) while the other path is fast and the control fetched the page${control !== null ? ` at ${fmtBps(control)}` : ''}: ${vsO.figures}`);
    }
  }
  const shown = vsB ?? vsO;
  if (shown !== null) {
    use(shown, shown === vsB ? 'reference' : 'other_path');
    d.reasons.push(shown.figures);
  }
  if (shown !== null && shown.outcome === 'inconclusive') {
    return done('inconclusive', `inconclusive: the target looks slower but the tests disagree or the ratio is in the grey zone (${T.throttledRatio}-${T.inconclusiveRatio})`);
  }
  const mA = d.goodput_bps.target;
  if (mA !== null && mA < T.degradedReferenceBps && controlSlow(mA)) {
    d.attribution = 'server_slow';
    return done('not_throttled', `not throttled: the control is slow too (${control !== null ? fmtBps(control) : 'its fetch ran into its deadline'}): the server is slow (${fmtBps(mA)})`);
  }
  const slowest = Math.max(d.goodput_bps.reference ?? 0, d.goodput_bps.other_path ?? 0);
  if (mA !== null && (d.goodput_bps.reference !== null || d.goodput_bps.other_path !== null) && slowest < T.degradedReferenceBps) {
    d.attribution = 'network_degraded';
    return done('not_throttled', `not throttled: every path is as slow as the target (${fmtBps(mA)}; same address ${fmtBps(d.goodput_bps.reference)}, other path ${fmtBps(d.goodput_bps.other_path)}): the network is degraded`);
  }
  return done('not_throttled', shown !== null ? 'not throttled: the target is as fast as the reference arms' : 'not throttled: no handshake or goodput difference between the arms');
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
  const d = decideThrottling({ transfers: e.transfers, controlGoodputBps: e.decision.goodput_bps.control, controlSlow: e.control_slow === true });
  return d.throttled ? () => throttlingReason(d, e.seed) : undefined;
}
