/**
 * The vantage state from one round of baseline checks (peers-and-methods 5.2 "States"), and the
 * rewrite of a target's verdict when the vantage is not normal. Pure.
 */
import type { BaselineResult, ReportRecord, VantageRecord, VantageState, VerdictEvidence } from '../model/index.js';

/**
 * Thresholds. `internationalCut` (>= 90 % of international checks fail while a local or domestic
 * check works) is peers-and-methods 5.2; `allowlist` (>= 50 %) and `degraded` (>= 25 % failing, or
 * the median successful check slower than 2 s) are ours: 5.2 defines degradation against a stored
 * per-ASN history we do not keep, so a single run can only see gross degradation.
 */
export const VANTAGE_THRESHOLDS = Object.freeze({
  internationalCut: 0.9,
  allowlist: 0.5,
  degraded: 0.25,
  slowCheckMs: 2000,
});

/** The human words of each state (console and reasons). */
export const VANTAGE_TEXT: Record<VantageState, string> = {
  normal: 'normal',
  local_offline: 'local network offline',
  international_cut: 'international connectivity cut',
  allowlist_only: 'only an allow-list reachable',
  general_degradation: 'general degradation',
};

/**
 * decideVantage: `local_offline` when every check failed (none answered: no route, no resolver);
 * `international_cut` when >= 90 % of international checks failed but a local/domestic one worked;
 * `allowlist_only` when 50-90 % of international checks failed (some foreign hosts still answer)
 * and a local/domestic one worked; `general_degradation` when 25-50 % failed or the median
 * successful check took >= 2 s; else `normal` (also for an empty round). Returns the state and a
 * sentence with the counts.
 */
export function decideVantage(results: readonly BaselineResult[]): { state: VantageState; reason: string } {
  const T = VANTAGE_THRESHOLDS;
  if (results.length === 0) return { state: 'normal', reason: 'no baseline checks configured' };
  const failed = results.filter((r) => !r.ok);
  const intl = results.filter((r) => r.scope === 'international');
  const intlFailed = intl.filter((r) => !r.ok);
  const nearOk = results.filter((r) => r.scope !== 'international' && r.ok);
  const frac = intl.length > 0 ? intlFailed.length / intl.length : 0;
  const names = (rs: readonly BaselineResult[]): string => rs.slice(0, 3).map((r) => `${r.check} (${r.failure ?? 'ok'})`).join(', ');
  if (failed.length === results.length) {
    return { state: 'local_offline', reason: `every baseline check failed (${failed.length} of ${results.length}, e.g. ${names(failed)})` };
  }
  if (intl.length > 0 && nearOk.length > 0 && frac >= T.internationalCut) {
    return { state: 'international_cut', reason: `${intlFailed.length} of ${intl.length} international baseline checks failed while ${names(nearOk)} worked` };
  }
  if (intl.length > 0 && nearOk.length > 0 && frac >= T.allowlist) {
    return { state: 'allowlist_only', reason: `${intlFailed.length} of ${intl.length} international baseline checks failed while ${names(intl.filter((r) => r.ok))} worked` };
  }
  const okDurations = results.filter((r) => r.ok).map((r) => r.duration_ms).sort((a, b) => a - b);
  const medianOk = okDurations[Math.floor((okDurations.length - 1) / 2)] ?? 0;
  if (frac >= T.degraded || medianOk >= T.slowCheckMs) {
    return { state: 'general_degradation', reason: `${failed.length} of ${results.length} baseline checks failed, median successful check ${Math.round(medianOk)} ms` };
  }
  return { state: 'normal', reason: `${results.length - failed.length} of ${results.length} baseline checks worked` };
}

/**
 * applyVantage returns `record` with `vantage` set and, when the state is not `normal`, its verdict
 * made honest: a verdict that claims blocking or "down" becomes `inconclusive` (blocking null,
 * accessible null, layers []), its first reason naming the outage and the original verdict; an
 * accessible verdict stays (a success is still a success) with the outage noted. Pure.
 */
export function applyVantage(record: ReportRecord, vantage: VantageRecord): ReportRecord {
  const out: ReportRecord = { ...record, vantage };
  if (vantage.state === 'normal') return out;
  const v = record.verdict;
  const note = `${VANTAGE_TEXT[vantage.state]}: ${vantage.reason}`;
  // The outage is evidence too (docs/verdict-rules.md): one entry per reason.
  const entry: VerdictEvidence = {
    layer: 'control', kind: 'vantage_not_normal', hop: 0, effect: 'inconclusive', cites: [], figures: {},
    detail: { state: VANTAGE_TEXT[vantage.state], reason: vantage.reason, was_blocking: v.blocking, was_status: v.status },
  };
  if (v.accessible === true && v.blocking === null) {
    out.verdict = { ...v, reasons: [...v.reasons, note], ...(v.evidence ? { evidence: [...v.evidence, { ...entry, effect: 'note' }] } : {}) };
    return out;
  }
  const was = v.blocking !== null ? ` (without the outage check: ${v.blocking}, ${v.status})` : v.status !== 'inconclusive' ? ` (without the outage check: ${v.status})` : '';
  out.verdict = {
    blocking: null,
    accessible: null,
    status: 'inconclusive',
    layers: [],
    reasons: [`${note}; per-site verdicts are not meaningful${was}`, ...v.reasons],
    ...(v.evidence ? { evidence: [entry, ...v.evidence] } : {}),
  };
  return out;
}
