/**
 * The vantage state from one round of baseline checks (docs/network-state.md section 2), the plain sentence a volunteer reads for each, and the rewrite of a target's
 * verdict when the vantage is not normal. Pure.
 */
import type { BaselineResult, ReportRecord, VantageRecord, VantageState, VerdictEvidence } from '../model/index.js';

/**
 * Thresholds (docs/network-state.md section 2). `internationalCut` (>= 90 % of international checks
 * fail while a local or domestic check works) follows the outage literature cited there; `allowlist` (>= 50 %) and `degraded` (>= 25 % failing, or
 * the median successful check slower than 2 s) are ours: degradation proper needs a stored
 * per-network history we do not keep, so a single run can only see gross degradation. `loopStallMs`:
 * when the probe's own event loop was blocked this long during a round, slowness says nothing
 * about the network (docs/network-state.md).
 */
export const VANTAGE_THRESHOLDS = Object.freeze({
  internationalCut: 0.9,
  allowlist: 0.5,
  degraded: 0.25,
  slowCheckMs: 2000,
  loopStallMs: 250,
});

/** The short name of each state (console summaries, reasons). */
export const VANTAGE_TEXT: Record<VantageState, string> = {
  normal: 'normal',
  local_offline: 'local network offline',
  dns_broken: 'DNS broken',
  captive_portal: 'captive portal',
  international_cut: 'international connectivity cut',
  allowlist_only: 'only an allow-list reachable',
  port_443_cut: 'port 443 (HTTPS) cut',
  general_degradation: 'general degradation',
};

/** One plain sentence per state, for a volunteer: what is wrong and what it means for the run. */
export const VANTAGE_SENTENCE: Record<VantageState, string> = {
  normal: 'The network works normally.',
  local_offline: 'This computer seems to be offline: no well-known service answered as it should, so no site can be tested.',
  dns_broken: 'DNS is broken on this network: names do not resolve, although internet addresses can be reached.',
  captive_portal: 'This network shows a login page (captive portal): sign in with a browser, then run again.',
  international_cut: 'Connections abroad are cut: only the local network or domestic sites answer.',
  allowlist_only: 'Only a few allowed sites abroad can be reached (allow-list): most international services fail.',
  port_443_cut: 'HTTPS (port 443) is cut on this network while plain HTTP (port 80) works.',
  general_degradation: 'The network is badly degraded: many well-known services fail or answer slowly.',
};

/** Options of {@link decideVantage}: the probe's own largest event-loop delay during the round, ms. */
export interface DecideOptions {
  loopDelayMs?: number;
}

function names(rs: readonly BaselineResult[]): string {
  return rs
    .slice(0, 3)
    .map((r) => `${r.check} (${r.failure ?? 'ok'}${r.detail !== undefined ? `: ${r.detail}` : ''})`)
    .join(', ');
}

/**
 * decideVantage, in this order (docs/network-state.md):
 * 1. `local_offline`: no check got the expected answer;
 * 2. `captive_portal`: an HTTP check got an altered page or a redirect, or the system resolver
 *    answers every check name with a private (bogon) address;
 * 3. `dns_broken`: every system-resolver check failed while an address check (TLS, TCP, UDP DNS by
 *    IP) worked;
 * 4. `port_443_cut`: every check on port 443 failed (at least two, one not a public resolver)
 *    while an HTTP check on port 80 worked;
 * 5. `international_cut`: >= 90 % of international checks failed while a local or domestic one worked;
 * 6. `allowlist_only`: 50-90 % of international checks, and >= 50 % of those that are not public
 *    resolvers, failed while a local or domestic one worked;
 * 7. `general_degradation`: at least two and >= 25 % of the international checks, and of those that
 *    are not public resolvers, failed, or the
 *    median successful check took >= 2 s (ignored when the probe's own loop stalled >= 250 ms);
 *    failures of the public resolvers alone are not degradation (a blocked resolver is a fact
 *    about the control, docs/network-state.md);
 * else `normal` (also for an empty round). Returns the state and a sentence with the evidence.
 */
export function decideVantage(results: readonly BaselineResult[], opts: DecideOptions = {}): { state: VantageState; reason: string } {
  const T = VANTAGE_THRESHOLDS;
  if (results.length === 0) return { state: 'normal', reason: 'no baseline checks configured' };
  const ok = results.filter((r) => r.ok);
  const failed = results.filter((r) => !r.ok);
  if (ok.length === 0) {
    const altered = failed.filter((r) => r.altered === true);
    const how = altered.length > 0 ? `; something answered but not the real services: ${names(altered)}` : `, e.g. ${names(failed)}`;
    return { state: 'local_offline', reason: `every baseline check failed (${failed.length} of ${results.length})${how}` };
  }
  const systemDns = results.filter((r) => r.kind === 'system-dns');
  const alteredPages = results.filter((r) => r.kind === 'http' && r.altered === true && r.failure !== null && r.failure.startsWith('unknown_failure'));
  if (alteredPages.length > 0) {
    return { state: 'captive_portal', reason: `the captive-portal check${alteredPages.length > 1 ? 's' : ''} got another page: ${names(alteredPages)}` };
  }
  if (systemDns.length > 0 && systemDns.every((r) => r.failure === 'dns_bogon_error')) {
    return { state: 'captive_portal', reason: `the system resolver answers stable names with local addresses: ${names(systemDns)}` };
  }
  const byAddress = ok.filter((r) => r.kind === 'tls' || r.kind === 'tcp' || r.kind === 'dns');
  if (systemDns.length > 0 && systemDns.every((r) => !r.ok) && byAddress.length > 0) {
    return { state: 'dns_broken', reason: `the system resolver failed for every stable name (${names(systemDns)}) while ${names(byAddress)} worked` };
  }
  const on443 = results.filter((r) => r.port === 443 && r.kind !== 'dns');
  const on80 = results.filter((r) => r.port === 80 && r.kind === 'http' && r.ok);
  if (on443.length >= 2 && on443.some((r) => r.resolver !== true) && on443.every((r) => !r.ok) && on80.length > 0) {
    return { state: 'port_443_cut', reason: `every check on port 443 failed (${names(on443)}) while ${names(on80)} worked` };
  }
  const intl = results.filter((r) => r.scope === 'international');
  const intlFailed = intl.filter((r) => !r.ok);
  const nearOk = results.filter((r) => r.scope !== 'international' && r.ok);
  const frac = intl.length > 0 ? intlFailed.length / intl.length : 0;
  // The international services other than the public resolvers: resolvers are blocked on their
  // own in many countries, which says something about the control, not about the network.
  const services = intl.filter((r) => r.resolver !== true);
  const servicesFailed = services.filter((r) => !r.ok);
  const servicesFrac = services.length > 0 ? servicesFailed.length / services.length : frac;
  const resolversFailed = failed.filter((r) => r.resolver === true);
  if (intl.length > 0 && nearOk.length > 0 && frac >= T.internationalCut) {
    return { state: 'international_cut', reason: `${intlFailed.length} of ${intl.length} international baseline checks failed while ${names(nearOk)} worked` };
  }
  if (intl.length > 0 && nearOk.length > 0 && frac >= T.allowlist && servicesFrac >= T.allowlist) {
    return { state: 'allowlist_only', reason: `${intlFailed.length} of ${intl.length} international baseline checks failed while ${names(intl.filter((r) => r.ok))} worked` };
  }
  const okDurations = ok.map((r) => r.duration_ms).sort((a, b) => a - b);
  const medianOk = okDurations[Math.floor((okDurations.length - 1) / 2)] ?? 0;
  const stalled = (opts.loopDelayMs ?? 0) >= T.loopStallMs;
  const slow = !stalled && medianOk >= T.slowCheckMs;
  const resolverNote = resolversFailed.length > 0 ? `; public resolvers unreachable: ${names(resolversFailed)}` : '';
  const stallNote = stalled && medianOk >= T.slowCheckMs ? `; slow checks not counted: the probe itself stalled ${Math.round(opts.loopDelayMs ?? 0)} ms` : '';
  if ((servicesFailed.length >= 2 && servicesFrac >= T.degraded && frac >= T.degraded) || slow) {
    return { state: 'general_degradation', reason: `${failed.length} of ${results.length} baseline checks failed, median successful check ${Math.round(medianOk)} ms${resolverNote}` };
  }
  return { state: 'normal', reason: `${ok.length} of ${results.length} baseline checks got the expected answer${resolverNote}${stallNote}` };
}

/**
 * applyVantage returns `record` with `vantage` set and, when the state is not `normal`, its verdict
 * made honest: a verdict that claims blocking or "down" becomes `inconclusive` (blocking null,
 * accessible null, layers []), its first reason naming the state and the original verdict; an
 * accessible verdict stays (a success is still a success) with the state noted. Pure.
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
