/**
 * The OONI Web Connectivity keys, computed with the LTE (v0.5) "classic" engine so that our output
 * can be compared with OONI's on the same observations.
 *
 * Source: OONI probe-cli `internal/experiment/webconnectivitylte/analysisclassic.go` (classic filter,
 * dns_consistency, linear walk, setBlocking* helpers), `analysisext.go` (x_* flags),
 * `internal/minipipeline/*` (observations and analysis);
 * Pure: no I/O, no clock.
 */
import type { DnsConsistency, Observations, OoniAnalysis, ThResponse } from '../model/index.js';
import { isLoopback } from './bogon.js';
import { isHttpDiff } from './http-diff.js';
import type { AsnLookup, ClassifyInput } from './types.js';
import { analyzeWebObservations, type WebAnalysis } from './web-analysis.js';
import { classicFilter, ingestObservations, urlHostname, WebObservationType, type WebObservation } from './web-observations.js';

/** `x_blocking_flags` bits (OONI `analysiscore.go`). */
export const BLOCKING_FLAGS = { dns: 1, tcp_ip: 2, tls: 4, http_failure: 8, http_diff: 16, success: 32 } as const;
/** `x_dns_flags` bits (OONI `analysiscore.go`). */
export const DNS_FLAGS = { bogon: 1, unexpected_failure: 2, unexpected_addrs: 4 } as const;
/** `x_null_null_flags` bits (OONI `analysiscore.go`). */
export const NULL_NULL_FLAGS = {
  expected_dns_failure: 1,
  expected_tcp_failure: 2,
  expected_tls_failure: 4,
  successful_https: 8,
  unexpected_dns_success: 16,
} as const;

/** Options of {@link analyzeOoni}. */
export interface AnalyzeOoniOptions {
  /**
   * Optional IP-to-ASN hook (0 = unknown), asked after the ASNs recorded in the answers and the
   * control's `ip_info` (see {@link createAsnLookup}).
   */
  asnLookup?: AsnLookup;
}

/**
 * createAsnLookup returns the ASN lookup used by the DNS comparison, first non-zero answer wins:
 * (1) the ASN recorded with the address in the probe's own DNS answers (`answers[].asn`: OONI
 * records it, so re-analysing an OONI measurement uses the ASNs OONI used); (2) the helper's
 * `ip_info`; (3) the hook (e.g. the `@ip-location-db/asn` database, `src/runner/asn-db.ts`).
 * NAT64 (64:ff9b::/96) addresses are NOT unwrapped here (OONI does not); the verdict does.
 */
export function createAsnLookup(control: ThResponse | null, hook?: AsnLookup, observations?: Observations): AsnLookup {
  const info = control?.ip_info ?? {};
  const recorded = new Map<string, number>();
  for (const q of observations?.queries ?? []) {
    for (const a of q.answers) {
      const ip = a.ipv4 ?? a.ipv6;
      if (ip !== undefined && typeof a.asn === 'number' && a.asn > 0 && !recorded.has(ip)) recorded.set(ip, a.asn);
    }
  }
  return (ip: string): number => {
    const fromAnswers = recorded.get(ip);
    if (fromAnswers !== undefined) return fromAnswers;
    const entry = info[ip];
    if (entry && entry.asn > 0) return entry.asn;
    return hook ? hook(ip) : 0;
  };
}

/**
 * dnsConsistency is OONI LTE `analysisClassicDNSConsistency` over the classic analysis:
 * `consistent` with no unexpected failure, no invalid lookup, and at least one valid lookup or
 * expected failure; `inconsistent` with an invalid lookup, an unexpected failure, or a probe that
 * resolved something while the helper resolved nothing; else null.
 */
export function dnsConsistency(wa: WebAnalysis): DnsConsistency {
  const invalid = wa.dnsLookupSuccessWithInvalidAddressesClassic.size;
  const unexpected = wa.dnsLookupUnexpectedFailure.size;
  if (invalid === 0 && unexpected === 0 &&
    (wa.dnsLookupSuccessWithValidAddressClassic.size > 0 || wa.dnsLookupExpectedFailure.size > 0)) {
    return 'consistent';
  }
  if (invalid > 0 || unexpected > 0 ||
    (wa.dnsLookupSuccess.size > 0 && wa.controlExpectations !== undefined && wa.controlExpectations.dnsAddresses.size === 0)) {
    return 'inconsistent';
  }
  return null;
}

/** OONI `analysisContainsOnlyLoopbackAddrs`: at least one IP, all loopback (non-IPs skipped). */
function onlyLoopback(addrs: Set<string> | undefined): boolean {
  let count = 0;
  for (const a of addrs ?? []) {
    if (!isIpLiteral(a)) continue;
    if (!isLoopback(a)) return false;
    count++;
  }
  return count > 0;
}

function isIpLiteral(s: string): boolean {
  return s.includes(':') || /^\d{1,3}(\.\d{1,3}){3}$/.test(s);
}

type Keys = Pick<OoniAnalysis, 'blocking' | 'accessible' | 'http_experiment_failure'>;

/** The LTE `setBlocking*` helpers (`analysisclassic.go`) over one result. */
class KeySetter {
  readonly keys: Keys = { blocking: null, accessible: null, http_experiment_failure: null };
  constructor(private readonly inconsistent: boolean) {}
  setFalse(): void { this.keys.blocking = false; this.keys.accessible = true; }
  setNil(): void {
    if (this.inconsistent) { this.keys.blocking = 'dns'; this.keys.accessible = false; } else { this.keys.blocking = null; this.keys.accessible = null; }
  }
  setString(v: 'dns' | 'tcp_ip' | 'http-failure' | 'http-diff'): void {
    this.keys.blocking = this.inconsistent ? 'dns' : v;
    this.keys.accessible = false;
  }
  setDown(): void {
    this.keys.blocking = this.inconsistent ? 'dns' : false;
    this.keys.accessible = false;
  }
  fail(f: string | undefined): void { this.keys.http_experiment_failure = f ?? null; }
}

/** LTE rules 1-4 (final response, HTTP, TLS, TCP failures) for one observation; true when one matched. */
function endpointRules(e: WebObservation, k: KeySetter, diff: boolean): boolean {
  const failed = e.failure !== undefined && e.failure !== '';
  // 1. a final response (2xx, 4xx, 5xx)
  if (e.httpResponseIsFinal === true) {
    if (e.tlsHandshakeFailure === '') k.setFalse();
    else if (e.controlHttpFailure === undefined) k.setNil();
    else if (!diff) k.setFalse();
    else k.setString('http-diff');
    return true;
  }
  // 2. HTTP round trip failed
  if (e.type === WebObservationType.HttpRoundTrip && failed) {
    if (e.controlHttpFailure === undefined) k.setNil();
    else if (e.controlHttpFailure !== '') k.setDown();
    else k.setString('http-failure');
    k.fail(e.failure);
    return true;
  }
  // 3. TLS handshake failed; 4. TCP connect failed
  const tls = e.type === WebObservationType.TlsHandshake && failed;
  const tcp = e.type === WebObservationType.TcpConnect && failed;
  if (!tls && !tcp) return false;
  const control = tls ? e.controlTlsHandshakeFailure : e.controlTcpConnectFailure;
  if (control === undefined) {
    if (e.controlHttpFailure === undefined) k.setNil(); else k.setString('http-failure');
  } else if (control !== '') k.setDown();
  else k.setString(tls ? 'http-failure' : 'tcp_ip');
  k.fail(e.failure);
  return true;
}

/** LTE rules 5-7 (DNS failure, loopback answers) for one observation; true when one matched. */
function dnsRules(e: WebObservation, k: KeySetter): boolean {
  if (e.type !== WebObservationType.DnsLookup) return false;
  // 5. DNS lookup failed
  if (e.failure !== undefined && e.failure !== '') {
    if (e.controlDnsLookupFailure === undefined) {
      // QUIRK (as coded in OONI): no DNS control and no HTTP expectation → false/true.
      if (e.controlHttpFailure === undefined) k.setFalse(); else k.setString('dns');
      k.fail(e.failure);
    } else if (e.controlDnsLookupFailure !== '') {
      k.setDown();
      k.fail(e.failure);
    } else if (e.controlDnsResolvedAddrs !== undefined && e.controlDnsResolvedAddrs.size === 0) {
      k.setDown(); // the helper's way of saying dns_no_answer; http_experiment_failure left unset
    } else {
      k.setString('dns');
      k.fail(e.failure);
    }
    return true;
  }
  const dnsOk = e.failure === '' && e.controlDnsLookupFailure === '' && e.dnsResolvedAddrs !== undefined && e.controlDnsResolvedAddrs !== undefined;
  if (!dnsOk || !onlyLoopback(e.dnsResolvedAddrs)) return false;
  // 6. the probe resolved only loopback addresses, the helper real ones; 7. both only loopback
  if (!onlyLoopback(e.controlDnsResolvedAddrs)) k.setString('dns'); else k.setDown();
  return true;
}

/**
 * computeBlockingAccessible walks the linear classic analysis and applies the LTE rules 1-8
 * (`analysisClassicComputeBlockingAccessible`, webconnectivitylte/analysisclassic.go). The first match wins;
 * 8: nothing matched, null/null.
 */
function computeBlockingAccessible(wa: WebAnalysis, consistency: DnsConsistency, diff: boolean): Keys {
  const k = new KeySetter(consistency === 'inconsistent');
  for (const e of wa.linear) {
    if (endpointRules(e, k, diff) || dnsRules(e, k)) return k.keys;
  }
  return k.keys;
}

/** The x_* flags over ALL observations (OONI `analysisExtMain`, webconnectivitylte/analysisext.go). */
function extFlags(wa: WebAnalysis): Pick<OoniAnalysis, 'x_dns_flags' | 'x_blocking_flags' | 'x_null_null_flags'> {
  let dns = 0;
  let blocking = 0;
  let nullNull = 0;
  // DNS (depth 0). A bogon alone is not DNS blocking (sites can be misconfigured).
  if (wa.dnsLookupSuccessWithBogonAddresses.size > 0) dns |= DNS_FLAGS.bogon;
  if (wa.dnsLookupUnexpectedFailure.size > 0) { blocking |= BLOCKING_FLAGS.dns; dns |= DNS_FLAGS.unexpected_failure; }
  if (wa.dnsLookupSuccessWithInvalidAddresses.size > 0) { blocking |= BLOCKING_FLAGS.dns; dns |= DNS_FLAGS.unexpected_addrs; }
  // endpoints (depth 0)
  if (wa.tcpConnectUnexpectedFailure.size > 0) blocking |= BLOCKING_FLAGS.tcp_ip;
  if (wa.tlsHandshakeUnexpectedFailure.size > 0) blocking |= BLOCKING_FLAGS.tls;
  if (wa.httpRoundTripUnexpectedFailure.size > 0) blocking |= BLOCKING_FLAGS.http_failure;
  // redirect errors, explained by a helper that fetched the page, when there is no final response
  const noFinal = wa.httpFinalResponseSuccessTcpWithoutControl === undefined &&
    wa.httpFinalResponseSuccessTlsWithoutControl === undefined &&
    wa.httpFinalResponseSuccessTlsWithControl === undefined &&
    wa.httpFinalResponseSuccessTcpWithControl === undefined;
  if (noFinal && wa.controlExpectations !== undefined && wa.controlExpectations.finalResponseFailure === '') {
    if (wa.dnsLookupUnexplainedFailure.size > 0) blocking |= BLOCKING_FLAGS.dns;
    if (wa.tcpConnectUnexplainedFailure.size > 0) blocking |= BLOCKING_FLAGS.tcp_ip;
    if (wa.tlsHandshakeUnexplainedFailure.size > 0) blocking |= BLOCKING_FLAGS.tls;
    if (wa.httpRoundTripUnexplainedFailure.size > 0) blocking |= BLOCKING_FLAGS.http_failure;
  }
  // final response
  if (wa.httpFinalResponseSuccessTcpWithoutControl !== undefined) {
    // no control to compare with: nothing to say
  } else if (wa.httpFinalResponseSuccessTlsWithoutControl !== undefined) {
    nullNull |= NULL_NULL_FLAGS.successful_https;
    blocking |= BLOCKING_FLAGS.success;
  } else if (wa.httpFinalResponseSuccessTlsWithControl !== undefined) {
    blocking |= BLOCKING_FLAGS.success;
  } else if (wa.httpFinalResponseSuccessTcpWithControl !== undefined && wa.httpDiff !== undefined) {
    blocking |= isHttpDiff(wa.httpDiff) ? BLOCKING_FLAGS.http_diff : BLOCKING_FLAGS.success;
  }
  // expected failures ("null-null")
  if (wa.dnsLookupExpectedFailure.size > 0) nullNull |= NULL_NULL_FLAGS.expected_dns_failure;
  if (wa.tcpConnectExpectedFailure.size > 0) nullNull |= NULL_NULL_FLAGS.expected_tcp_failure;
  if (wa.tlsHandshakeExpectedFailure.size > 0) nullNull |= NULL_NULL_FLAGS.expected_tls_failure;
  if (wa.controlExpectations !== undefined && wa.controlExpectations.dnsAddresses.size === 0 && wa.dnsLookupSuccess.size > 0) {
    nullNull |= NULL_NULL_FLAGS.unexpected_dns_success;
  }
  return { x_dns_flags: dns, x_blocking_flags: blocking, x_null_null_flags: nullNull };
}

/**
 * notDialledKeys: OONI's probe dials every address it resolved, bogons included, and a bogon
 * answer then ends in a failed connect that the helper has no result for (LTE rule 4 with no
 * control: `setNil`, which is `dns`/false when DNS is inconsistent). We never dial bogons
 * (docs/measurement-model.md, "Addresses never dialled"), so when nothing was dialled at depth 0
 * and addresses were skipped as bogons, apply the same rule: the keys stay OONI's, and
 * `http_experiment_failure` stays null because no HTTP attempt was made (the scenario files say so).
 */
function notDialledKeys(keys: Keys, input: ClassifyInput, consistency: DnsConsistency): Keys {
  if (keys.blocking !== null || keys.accessible !== null) return keys;
  const obs = input.observations;
  const skipped = (obs.x_not_dialled ?? []).some((n) => n.depth === 0);
  const dialled = obs.tcp_connect.some((c) => c.depth === 0);
  if (!skipped || dialled) return keys;
  const k = new KeySetter(consistency === 'inconsistent');
  if (input.control.response === null) return keys;
  k.setNil();
  return k.keys;
}

/**
 * analyzeOoni computes the OONI Web Connectivity LTE (v0.5) keys for one measurement:
 * `dns_experiment_failure`, `dns_consistency`, `control_failure`, `http_experiment_failure`,
 * `body_proportion` (0 when not computed), `body_length_match`, `status_code_match`,
 * `headers_match`, `title_match`, `blocking`, `accessible` and the `x_*` flags.
 *
 * Pipeline (OONI internal/minipipeline): flat observations with control cross-references; x_* flags
 * over all observations; the classic filter (system-resolver lookups — engine `getaddrinfo` or
 * tagged `classic` — and `fetch_body=true` endpoints on their addresses or tagged `classic`); the
 * classic analysis decides `dns_consistency`, the HTTP-diff keys and, walking the sorted
 * observations, `blocking`/`accessible`. The control is used only when `control.response` is
 * non-null. Never throws on well-typed input.
 */
export function analyzeOoni(input: ClassifyInput, options: AnalyzeOoniOptions = {}): OoniAnalysis {
  const response = input.control.response;
  const asn = createAsnLookup(response, options.asnLookup, input.observations);
  const inputDomain = urlHostname(input.control.request?.http_request ?? input.url);
  const container = ingestObservations(input.observations, response, inputDomain);
  const ext = extFlags(analyzeWebObservations(container, asn));
  const woa = analyzeWebObservations(classicFilter(container), asn);
  const consistency = dnsConsistency(woa);
  const diff = woa.httpDiff;
  const keys = notDialledKeys(computeBlockingAccessible(woa, consistency, diff === undefined ? true : isHttpDiff(diff)), input, consistency);
  return {
    dns_experiment_failure: woa.dnsExperimentFailure ?? null,
    dns_consistency: consistency,
    control_failure: response === null ? input.control.failure : null,
    http_experiment_failure: keys.http_experiment_failure,
    body_length_match: diff?.body_length_match ?? null,
    body_proportion: diff?.body_proportion ?? 0,
    status_code_match: diff?.status_code_match ?? null,
    headers_match: diff?.headers_match ?? null,
    title_match: diff?.title_match ?? null,
    blocking: keys.blocking,
    accessible: keys.accessible,
    ...ext,
  };
}
