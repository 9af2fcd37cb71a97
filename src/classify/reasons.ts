/**
 * Renders the verdict's `reasons` from its evidence: one short sentence per entry, with the
 * numbers behind it. The sentences are for people; programs read `verdict.evidence`. Pure.
 */
import type { VerdictEvidence } from '../model/index.js';

type D = VerdictEvidence['detail'];

function s(d: D, k: string): string {
  const v = d[k];
  if (Array.isArray(v)) return v.length === 0 ? 'no address' : v.join(', ');
  return v === null || v === undefined ? '' : String(v);
}

/** Who the control is: the helper, or the DoH reference without one. */
function ctl(d: D): string {
  return typeof d['reference'] === 'string' ? `DoH reference ${d['reference']}` : 'control';
}

function where(e: VerdictEvidence): string {
  return e.hop === 0 ? '' : ` after ${e.hop} redirect${e.hop > 1 ? 's' : ''}`;
}

/** `1.2.3.4 (AS15133), 10.0.0.1`: addresses with the ASN figures the entry carries. */
function withAsn(e: VerdictEvidence, k: string): string {
  const v = e.detail[k];
  const list = Array.isArray(v) ? v : [];
  if (list.length === 0) return 'no address';
  return list.map((a) => (e.figures[`asn.${a}`] ? `${a} (AS${e.figures[`asn.${a}`]})` : a)).join(', ');
}

const TLS_WORDS: Record<string, string> = {
  connection_reset: 'reset after ClientHello',
  eof_error: 'closed (EOF) after ClientHello',
  generic_timeout_error: 'timed out after ClientHello',
};

function diff(e: VerdictEvidence): string {
  const d = e.detail;
  const f = e.figures;
  const prop = d['body_length_match'] === null ? 'proportion not computed: empty or truncated body' : `proportion ${(f['body_proportion'] ?? 0).toFixed(2)}`;
  return `status ${f['status'] ?? 0} vs control ${f['control_status'] ?? 0}, body ${f['body_bytes'] ?? 0} vs ${f['control_body_bytes'] ?? 0} bytes (${prop}), ` +
    `headers_match ${s(d, 'headers_match')}, title "${s(d, 'title')}" vs "${s(d, 'control_title')}"`;
}

type Render = (e: VerdictEvidence, d: D, w: string) => string;

const DNS: Record<string, Render> = {
  dns_resolver_unreachable: (_e, d, w) => `probe's ${s(d, 'engine') === 'doh' ? 'DNS-over-HTTPS' : 'UDP'} resolver could not be reached (${s(d, 'failure')}) for ${s(d, 'host')}${w}: the resolver is blocked or down, which says nothing about the name; measure with another resolver`,
  dns_lookup_failed: (_e, d, w) => d['control'] === 'fetched_through_hop'
    ? `probe resolver failed with ${s(d, 'failure')} for ${s(d, 'host')}${w}; no DNS control for this hop, but the control fetched the page through it`
    : `probe resolver failed with ${s(d, 'failure')} for ${s(d, 'host')}${w}; ${ctl(d)} resolved ${s(d, 'control_addrs')}`,
  dns_lookup_failed_no_control: (_e, d, w) => `probe resolver failed with ${s(d, 'failure')} for ${s(d, 'host')}${w}; no DNS control for this hop and the control's fetch failed`,
  dns_resolver_no_answer: (_e, d, w) => `probe resolver failed with ${s(d, 'failure')} for ${s(d, 'host')}${w}; control failed with ${s(d, 'control_failure') || 'no address'}: ` +
    `${d['unanswered'] === 'neither' ? 'neither resolver answered' : d['unanswered'] === 'probe' ? "the probe's resolver did not answer" : "the control's resolver did not answer"}, so nothing is known about the name`,
  dns_both_failed: (_e, d, w) => `probe resolver failed with ${s(d, 'failure')} for ${s(d, 'host')}${w}; control failed too (${s(d, 'control_failure') || 'no address'}): the name does not resolve`,
  dns_blockpage_address: (e, d, w) => `probe resolver returned ${withAsn(e, 'addrs')} for ${s(d, 'host')}${w}; ${s(d, 'where')} is a known blockpage address: fingerprint ${s(d, 'fingerprint')}`,
  dns_control_failed: (_e, d, w) => `control's DNS failed with ${s(d, 'control_failure')} for ${s(d, 'host')}${w}; probe resolved ${s(d, 'addrs')}: DNS not compared`,
  dns_control_no_address: (_e, d, w) => `probe resolver returned ${s(d, 'addrs')} for ${s(d, 'host')}${w}; control found no address (${s(d, 'control_failure') || 'empty answer'})`,
  dns_bogon_answer: (e, d, w) => `probe resolver returned ${s(d, 'addrs')} for ${s(d, 'host')}${w}, ${d['all_bogon'] === true ? 'only bogons' : `including the bogon ${s(d, 'bogons')}`}; ${ctl(d)} resolved ${withAsn(e, 'control_addrs')}`,
  dns_both_bogon: (_e, d) => `${s(d, 'host')} resolves to ${s(d, 'addrs')} (bogon) for the probe and the control alike: the site is misconfigured or down`,
  dns_same_network: (e, d, w) => `probe resolver returned ${withAsn(e, 'addrs')} for ${s(d, 'host')}${w}, control resolved ${withAsn(e, 'control_addrs')}: different addresses in the same network (AS${e.figures['common_asn'] ?? 0}), consistent`,
  dns_tls_verified: (e, d) => `probe resolver returned ${withAsn(e, 'addrs')}, control resolved ${withAsn(e, 'control_addrs')}, but the TLS handshake with ${s(d, 'verified_at')} verified the certificate for ${s(d, 'host')}: the address serves the genuine site (a CDN, or a proxy passing TLS through), not DNS blocking`,
  dns_helper_tls_verified: (e, d) => `probe resolver returned ${withAsn(e, 'addrs')}, control resolved ${withAsn(e, 'control_addrs')}, but the helper's TLS handshake with ${s(d, 'verified_at')} verified the certificate for ${s(d, 'host')} (ip_info flag 8, or its check of that address): the address serves the genuine site, not DNS blocking`,
  dns_other_network: (e, d, w) => e.effect === 'note'
    ? `probe resolver returned ${withAsn(e, 'addrs')} for ${s(d, 'host')}${w}, control resolved ${withAsn(e, 'control_addrs')} (no common address or ASN), but the control fails the same way at the probe's address`
    : `probe resolver returned ${withAsn(e, 'addrs')} for ${s(d, 'host')}${w}; ${ctl(d)} resolved ${withAsn(e, 'control_addrs')} (no common address or ASN, no TLS proof)`,
  dns_answer_served_blockpage: (_e, d) => `the diverging DNS answer ${s(d, 'address')} served a known blockpage (${s(d, 'where')}): ${s(d, 'description')}`,
  dns_answer_served_genuine_page: (e, d) =>
    d['control_resolved'] === true
      ? `the page came from ${s(d, 'address')}, an address the control resolved too, and matches the control's (${diff(e)}): the DNS answer was tampered with, the page reached is genuine`
      : s(d, 'address') === ''
        ? `the page fetched after the diverging DNS answer matches the control's (${diff(e)}): a transparent proxy, or the site itself`
        : `the diverging DNS answer ${s(d, 'address')} served the genuine page (${diff(e)}): a transparent proxy`,
  loopback_not_dialled: (_e, d) => `${s(d, 'addrs')} ${(d['addrs'] as string[]).length === 1 ? 'is a loopback address' : 'are loopback addresses'}: the probe does not connect to loopback, so nothing was measured there`,
};

/** Said of IPv6 endpoints left out of a TCP comparison (unreachable from here: a local problem). */
const LOCAL_V6 = '; the IPv6 endpoints unreachable from here are a local problem and not compared';

const TCP_TLS: Record<string, Render> = {
  tcp_not_dialled: (_e, d, w) => `not dialled${w}: ${s(d, 'endpoints')} (${s(d, 'reason')})`,
  tcp_connect_failed: (_e, d, w) => `TCP connect${w} failed (${s(d, 'failures')}); ${d['control'] === 'connected' ? 'control connected to the same address' : 'no per-endpoint control, but the control fetched the page'}${d['ipv6_local'] === true ? LOCAL_V6 : ''}`,
  tcp_both_failed: (_e, d, w) => `TCP connect${w} failed (${s(d, 'failures')}); control failed too (${s(d, 'control_failures')})${d['ipv6_local'] === true ? LOCAL_V6 : ''}`,
  tcp_failed_at_dns_answer: (_e, d, w) => `TCP connect${w} to the diverging DNS answer failed (${s(d, 'failures')})`,
  tcp_connect_failed_no_control: (_e, d, w) => `TCP connect${w} failed (${s(d, 'failures')}); no control for this endpoint`,
  tcp_ipv6_unreachable_locally: (_e, d, w) => `TCP connect${w} failed only over IPv6, as unreachable (${s(d, 'failures')}): this computer has no IPv6 route, a local problem that says nothing about the site`,
  tcp_family_blocked: (e, d, w) => `blocked over ${s(d, 'family')}, reachable over ${s(d, 'other_family')}${w}: ${s(d, 'failures')} failed while the control connected, and ${e.figures['reachable'] ?? 0} ${s(d, 'other_family')} endpoint(s) connected`,
  tls_forged_certificate: (_e, d, w) => `TLS handshake with ${s(d, 'address')} (SNI ${s(d, 'server_name')})${w} failed with ${s(d, 'failure')}${d['issuer'] ? ` (certificate issued by ${s(d, 'issuer')})` : ''}; ` +
    `${d['control'] === 'verified' ? "control's certificate verified" : 'the address came from a diverging DNS answer'}: forged certificate`,
  tls_handshake_failed: (_e, d, w) => `TLS handshake with ${s(d, 'address')} (SNI ${s(d, 'server_name')})${w} failed with ${s(d, 'failure')}; ` +
    `${d['control'] === 'same_address_ok' ? "control's handshake with the same address and SNI succeeded (OONI calls this http-failure)" : 'no per-endpoint control, but the control fetched the page'}`,
  tls_both_failed: (_e, d, w) => `TLS handshake with ${s(d, 'address')} (SNI ${s(d, 'server_name')})${w} failed with ${s(d, 'failure')}; control failed too (${s(d, 'control_failure')})`,
  tls_failed_at_dns_answer: (_e, d) => `TLS handshake with the diverging DNS answer ${s(d, 'address')} failed with ${s(d, 'failure')}`,
  tls_handshake_failed_no_control: (_e, d, w) => `TLS handshake with ${s(d, 'address')}${w} failed with ${s(d, 'failure')}; no control for this endpoint`,
  tls_sni_filtering: (_e, d) => `TLS handshake with ${s(d, 'address')} ${TLS_WORDS[s(d, 'failure')] ?? `failed with ${s(d, 'failure')}`} with SNI ${s(d, 'server_name')}; same address with SNI ${s(d, 'probe_server_name')} completed: SNI-based filtering`,
  tls_address_interference: (_e, d) => `TLS handshake with ${s(d, 'address')} ${TLS_WORDS[s(d, 'failure')] ?? `failed with ${s(d, 'failure')}`} with SNI ${s(d, 'server_name')}; same address with SNI ${s(d, 'probe_server_name')} also failed (${s(d, 'probe_failure')}): interference with the address for any SNI (IP-level)`,
  tls_sni_probe_connect_failed: (_e, d) => `TLS handshake with ${s(d, 'address')} ${TLS_WORDS[s(d, 'failure')] ?? `failed with ${s(d, 'failure')}`} with SNI ${s(d, 'server_name')}; a new connection to the same address for SNI comparison failed (${s(d, 'probe_failure')})`,
};

const HTTP: Record<string, Render> = {
  http_failed_no_control: (_e, d, w) => `HTTP request to ${s(d, 'url')}${w} failed with ${s(d, 'failure')}; no control to compare with`,
  http_both_failed: (_e, d) => `HTTP request to ${s(d, 'url')} failed with ${s(d, 'failure')}; control failed too (${s(d, 'control_failure')})`,
  http_chain_incomplete: (_e, d) => `the measurement ends on a redirect from ${s(d, 'url')} to ${s(d, 'target')} that was neither followed nor failed: its later requests are missing, so the page reached is unknown`,
  http_request_failed: (e, d, w) => `HTTP request to ${s(d, 'url')}${w} failed with ${s(d, 'failure')}; control fetched the page (status ${e.figures['control_status'] ?? 0}, ${e.figures['control_body_bytes'] ?? 0} bytes)`,
  http_blockpage: (_e, d) => `the ${s(d, 'where')} is a known blockpage: ${s(d, 'description')}`,
  http_weak_fingerprint: (_e, d) => `the ${s(d, 'where')} matches ${s(d, 'description')}: too vague to confirm on its own`,
  http_false_positive_fingerprint: (_e, d) => `the ${s(d, 'where')} matches ${s(d, 'description')}: a page served by the site or its CDN`,
  http_fingerprint_same_as_control: (_e, d) => `the response to ${s(d, 'url')} matches fingerprint ${s(d, 'fingerprint')} but equals the control's (status, title, length): not a blockpage`,
  http_unexpected_redirect: (e, d, w) => `response to ${s(d, 'url')}${w} (status ${e.figures['status'] ?? 0}) redirects to ${s(d, 'target') || '(no valid target)'} by ${s(d, 'redirect').replace('_', ' ')}; the control got no redirect at this hop (status ${e.figures['control_status'] ?? 0}, "${s(d, 'control_title')}")`,
  http_server_error_both: (e, d) => `${s(d, 'url')} answered ${e.figures['status'] ?? 0} and the control got ${e.figures['control_status'] ?? 0} too: the site is failing, not censored`,
  http_verified_tls: (e, d) => `HTTPS fetch of ${s(d, 'url')} returned ${e.figures['status'] ?? 0} (${e.figures['body_bytes'] ?? 0} bytes) over a verified TLS connection`,
  http_no_control: (e, d) => `the probe got status ${e.figures['status'] ?? 0} (${e.figures['body_bytes'] ?? 0} bytes) from ${s(d, 'url')}; no control response to compare with`,
  http_control_failed: (e, d) => `control could not fetch the page (${s(d, 'control_failure')}); the probe got status ${e.figures['status'] ?? 0} (${e.figures['body_bytes'] ?? 0} bytes)`,
  http_false_positive: (e, d) => `response to ${s(d, 'url')} differs from the control (${diff(e)}) but matches ${s(d, 'description')}: served by the site or its CDN, not censorship, so not http-diff (OONI reports http-diff)`,
  http_diff: (e, d) => `response to ${s(d, 'url')} differs from the control: ${diff(e)}${d['ooni_diff'] === false ? " (OONI's header rule calls it the same page; body and title both differ)" : ''}`,
  http_matches_control: (e, d) => `response to ${s(d, 'url')} matches the control: ${diff(e)}`,
  throttling_detected: (_e, d) => s(d, 'reason'),
  throttling_not_detected: (_e, d) => s(d, 'reason'),
  slow_for_everyone: (_e, d) => s(d, 'reason'),
};

const OTHER: Record<string, Render> = {
  control_no_helper: (_e, d) => `no helper control (${s(d, 'failure') || 'none requested'})`,
  nothing_compared: () => 'the measurement ended before a step that could be compared with the control: inconclusive',
  control_nothing_to_compare: () => 'nothing to compare the probe with: inconclusive (never "blocked" without a control)',
  verified_https_genuine: (e, d) => `HTTPS fetch of ${s(d, 'url')} verified the certificate and returned ${e.figures['status'] ?? 0} (${e.figures['body_bytes'] ?? 0} bytes): the content is genuine`,
  vantage_not_normal: (_e, d) => `${s(d, 'state')}: ${s(d, 'reason')}`,
  ooni_deviation: (e, d) => `deviation from OONI: OONI LTE reports blocking=${s(d, 'ooni_blocking')}, we name the first diverging step (${e.layer})`,
};

const ALL: Record<string, Render> = { ...DNS, ...TCP_TLS, ...HTTP, ...OTHER };

/** Every evidence kind this build renders (docs/verdict-rules.md lists each). */
export const EVIDENCE_KINDS: readonly string[] = Object.freeze(Object.keys(ALL));

/** renderReason: the sentence of one entry (a generic one for a kind this build does not know). */
export function renderReason(e: VerdictEvidence): string {
  const r = ALL[e.kind];
  if (r !== undefined) return r(e, e.detail, where(e));
  const figs = Object.entries(e.figures).map(([k, v]) => `${k} ${v}`).join(', ');
  return `${e.layer}: ${e.kind.replace(/_/g, ' ')}${where(e)}${figs ? ` (${figs})` : ''}`;
}

/** renderReasons: one sentence per entry, in order. */
export function renderReasons(evidence: readonly VerdictEvidence[]): string[] {
  return evidence.map(renderReason);
}
