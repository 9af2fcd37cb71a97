/**
 * Web analysis: sets of transactions classified as expected/unexpected/unexplained successes and
 * failures, the final-response HTTP diff, and the linear (sorted) view used by the classic rules.
 *
 * Source: OONI probe-cli `internal/minipipeline/analysis.go` (`AnalyzeWebObservations*`,
 * `NewLinearWebAnalysis`) and `dnsdiff.go` Pure.
 */
import { answersConsistent, compareAnswers } from './dns-consistency.js';
import { compareHttpResponses, type HttpDiffMetrics } from './http-diff.js';
import type { AsnLookup } from './types.js';
import {
  type ControlExpectations,
  type WebObservation,
  type WebObservationsContainer,
} from './web-observations.js';

/** The analysis of a container (OONI `WebAnalysis`, the fields we use). Sets hold transaction ids. */
export interface WebAnalysis {
  controlExpectations: ControlExpectations | undefined;
  dnsLookupSuccess: Set<number>;
  dnsLookupSuccessWithInvalidAddresses: Set<number>;
  dnsLookupSuccessWithValidAddress: Set<number>;
  dnsLookupSuccessWithBogonAddresses: Set<number>;
  dnsLookupSuccessWithInvalidAddressesClassic: Set<number>;
  dnsLookupSuccessWithValidAddressClassic: Set<number>;
  dnsLookupUnexpectedFailure: Set<number>;
  dnsLookupUnexplainedFailure: Set<number>;
  dnsLookupExpectedFailure: Set<number>;
  /** First depth-0 lookup failure (not DoH, not AAAA `dns_no_answer`). */
  dnsExperimentFailure: string | undefined;
  tcpConnectExpectedFailure: Set<number>;
  tcpConnectUnexpectedFailure: Set<number>;
  tcpConnectUnexplainedFailure: Set<number>;
  tlsHandshakeExpectedFailure: Set<number>;
  tlsHandshakeUnexpectedFailure: Set<number>;
  tlsHandshakeUnexplainedFailure: Set<number>;
  httpRoundTripUnexpectedFailure: Set<number>;
  httpRoundTripUnexplainedFailure: Set<number>;
  httpFinalResponseSuccessTlsWithoutControl: number | undefined;
  httpFinalResponseSuccessTlsWithControl: number | undefined;
  httpFinalResponseSuccessTcpWithoutControl: number | undefined;
  httpFinalResponseSuccessTcpWithControl: number | undefined;
  /** HTTP-diff of the first final response that has an HTTP control; undefined otherwise. */
  httpDiff: HttpDiffMetrics | undefined;
  /** Every observation, sorted for the linear walk (see {@link linearize}). */
  linear: WebObservation[];
}

function isDnsNoAnswerForAAAA(o: WebObservation): boolean {
  return o.dnsQueryType === 'AAAA' && o.dnsLookupFailure === 'dns_no_answer';
}

/** OONI `utilsTCPConnectFailureSeemsMisconfiguredIPv6`: unreachable errors on IPv6 are a local problem. */
function seemsMisconfiguredIPv6(o: WebObservation): boolean {
  const f = o.tcpConnectFailure;
  return (f === 'network_unreachable' || f === 'host_unreachable') && (o.ipAddress ?? '').includes(':');
}

/**
 * linearize sorts observations for the classic walk (OONI `NewLinearWebAnalysis`): depth
 * descending (unknown last), then type descending (HTTP, TLS, TCP, DNS), then failure ascending
 * (successes first; unknown sorts as `unknown_failure`), then transaction id descending.
 */
export function linearize(c: WebObservationsContainer): WebObservation[] {
  const all = [...c.dnsLookupFailures, ...c.dnsLookupSuccesses, ...c.knownTcpEndpoints.values()];
  return all.sort((l, r) => {
    const ld = l.depth ?? -1;
    const rd = r.depth ?? -1;
    if (ld !== rd) return rd - ld;
    if (l.type !== r.type) return r.type - l.type;
    const lf = l.failure ?? 'unknown_failure';
    const rf = r.failure ?? 'unknown_failure';
    if (lf !== rf) return lf < rf ? -1 : 1;
    return r.transactionId - l.transactionId;
  });
}

/**
 * analyzeWebObservations computes the {@link WebAnalysis} of a container (OONI
 * `AnalyzeWebObservationsWithLinearAnalysis`). `asn` maps an IP to its ASN (0 = unknown).
 */
export function analyzeWebObservations(c: WebObservationsContainer, asn: AsnLookup): WebAnalysis {
  const wa: WebAnalysis = {
    controlExpectations: c.controlExpectations,
    dnsLookupSuccess: new Set(),
    dnsLookupSuccessWithInvalidAddresses: new Set(),
    dnsLookupSuccessWithValidAddress: new Set(),
    dnsLookupSuccessWithBogonAddresses: new Set(),
    dnsLookupSuccessWithInvalidAddressesClassic: new Set(),
    dnsLookupSuccessWithValidAddressClassic: new Set(),
    dnsLookupUnexpectedFailure: new Set(),
    dnsLookupUnexplainedFailure: new Set(),
    dnsLookupExpectedFailure: new Set(),
    dnsExperimentFailure: undefined,
    tcpConnectExpectedFailure: new Set(),
    tcpConnectUnexpectedFailure: new Set(),
    tcpConnectUnexplainedFailure: new Set(),
    tlsHandshakeExpectedFailure: new Set(),
    tlsHandshakeUnexpectedFailure: new Set(),
    tlsHandshakeUnexplainedFailure: new Set(),
    httpRoundTripUnexpectedFailure: new Set(),
    httpRoundTripUnexplainedFailure: new Set(),
    httpFinalResponseSuccessTlsWithoutControl: undefined,
    httpFinalResponseSuccessTlsWithControl: undefined,
    httpFinalResponseSuccessTcpWithoutControl: undefined,
    httpFinalResponseSuccessTcpWithControl: undefined,
    httpDiff: undefined,
    linear: linearize(c),
  };
  dnsSuccessMetrics(wa, c, asn);
  dnsFailureMetrics(wa, c);
  endpointMetrics(wa, c);
  finalResponseMetrics(wa, c);
  return wa;
}

/** OONI `dnsComputeSuccessMetrics` and `dnsComputeSuccessMetricsClassic` (depth-0 lookups only). */
function dnsSuccessMetrics(wa: WebAnalysis, c: WebObservationsContainer, asn: AsnLookup): void {
  const seen = new Set<number>();
  for (const o of c.dnsLookupSuccesses) {
    const txid = o.dnsTransactionId ?? 0;
    if (seen.has(txid)) continue;
    seen.add(txid);
    if (o.depth !== 0) continue;
    wa.dnsLookupSuccess.add(txid);
    if (o.ipAddressBogon === true) wa.dnsLookupSuccessWithBogonAddresses.add(txid);
    if (o.controlDnsResolvedAddrs === undefined) continue;
    const probe = o.dnsResolvedAddrs ?? new Set<string>();
    const control = o.controlDnsResolvedAddrs;
    if (answersConsistent(compareAnswers(probe, control, asn))) {
      wa.dnsLookupSuccessWithValidAddress.add(txid);
      wa.dnsLookupSuccessWithValidAddressClassic.add(txid);
    } else {
      wa.dnsLookupSuccessWithInvalidAddresses.add(txid);
      wa.dnsLookupSuccessWithInvalidAddressesClassic.add(txid);
    }
  }
  // A verified TLS handshake with an address makes its lookup valid (not for the classic sets).
  for (const o of c.knownTcpEndpoints.values()) {
    if (o.tlsHandshakeFailure !== '') continue;
    const txid = o.dnsTransactionId ?? 0;
    if (txid <= 0) continue;
    wa.dnsLookupSuccessWithInvalidAddresses.delete(txid);
    wa.dnsLookupSuccessWithValidAddress.add(txid);
  }
}

/** OONI `dnsComputeFailureMetrics`. */
function dnsFailureMetrics(wa: WebAnalysis, c: WebObservationsContainer): void {
  const seen = new Set<number>();
  for (const o of c.dnsLookupFailures) {
    const txid = o.dnsTransactionId ?? 0;
    if (seen.has(txid)) continue;
    seen.add(txid);
    if (o.dnsEngine === 'doh') continue; // a DoH failure says nothing about the URL (probe#2274)
    if (isDnsNoAnswerForAAAA(o)) continue;
    const failure = o.dnsLookupFailure ?? '';
    if (o.depth !== 0) {
      if (failure !== '') wa.dnsLookupUnexplainedFailure.add(txid);
      continue;
    }
    if (failure !== '' && wa.dnsExperimentFailure === undefined) wa.dnsExperimentFailure = failure;
    if (o.controlDnsLookupFailure === undefined) continue;
    const control = o.controlDnsLookupFailure;
    if (failure !== '' && control !== '') {
      wa.dnsLookupExpectedFailure.add(txid); // NXDOMAIN not special-cased (probe#2029, #2290)
      continue;
    }
    if (control !== '') continue;
    if (failure !== '') {
      if (failure === 'dns_no_answer' && o.controlDnsResolvedAddrs !== undefined && o.controlDnsResolvedAddrs.size === 0) {
        wa.dnsLookupExpectedFailure.add(txid);
        continue;
      }
      wa.dnsLookupUnexpectedFailure.add(txid);
    }
  }
}

/** OONI `tcpComputeMetrics`, `tlsComputeMetrics`, `httpComputeFailureMetrics`. */
function endpointMetrics(wa: WebAnalysis, c: WebObservationsContainer): void {
  for (const o of c.knownTcpEndpoints.values()) {
    const txid = o.endpointTransactionId ?? o.transactionId;
    // TCP
    if (o.tcpConnectFailure !== undefined) {
      const f = o.tcpConnectFailure;
      if (o.depth !== 0) {
        if (!seemsMisconfiguredIPv6(o) && f !== '') wa.tcpConnectUnexplainedFailure.add(txid);
      } else if (o.controlTcpConnectFailure !== undefined) {
        const cf = o.controlTcpConnectFailure;
        if (f !== '' && cf !== '') wa.tcpConnectExpectedFailure.add(txid);
        else if (cf === '' && f !== '' && !seemsMisconfiguredIPv6(o)) wa.tcpConnectUnexpectedFailure.add(txid);
      }
    }
    // TLS
    if (o.tlsHandshakeFailure !== undefined) {
      const f = o.tlsHandshakeFailure;
      if (o.depth !== 0) {
        if (f !== '') wa.tlsHandshakeUnexplainedFailure.add(txid);
      } else if (o.controlTlsHandshakeFailure !== undefined) {
        const cf = o.controlTlsHandshakeFailure;
        if (f !== '' && cf !== '') wa.tlsHandshakeExpectedFailure.add(txid);
        else if (cf === '' && f !== '') wa.tlsHandshakeUnexpectedFailure.add(txid);
      }
    }
    // HTTP (not limited to depth 0: the HTTP control is about the final response)
    if (o.httpFailure !== undefined) {
      const f = o.httpFailure;
      if (o.controlHttpFailure === undefined) {
        if (f !== '') wa.httpRoundTripUnexplainedFailure.add(txid);
      } else if (o.controlHttpFailure === '' && f !== '') {
        wa.httpRoundTripUnexpectedFailure.add(txid);
      }
    }
  }
}

/** OONI `httpComputeFinalResponseMetrics`: the first final response decides. */
function finalResponseMetrics(wa: WebAnalysis, c: WebObservationsContainer): void {
  for (const o of c.knownTcpEndpoints.values()) {
    if (o.httpResponseIsFinal !== true) continue;
    const txid = o.endpointTransactionId ?? o.transactionId;
    const overTls = o.tlsHandshakeFailure === '';
    if (o.controlHttpFailure === undefined) {
      if (overTls) wa.httpFinalResponseSuccessTlsWithoutControl = txid;
      else wa.httpFinalResponseSuccessTcpWithoutControl = txid;
      return;
    }
    if (overTls) wa.httpFinalResponseSuccessTlsWithControl = txid;
    else wa.httpFinalResponseSuccessTcpWithControl = txid;
    wa.httpDiff = compareHttpResponses(
      {
        status_code: o.httpResponseStatusCode ?? 0,
        body_length: o.httpResponseBodyLength ?? 0,
        body_is_truncated: o.httpResponseBodyIsTruncated ?? true,
        header_names: o.httpResponseHeadersKeys ?? [],
        title: o.httpResponseTitle ?? '',
      },
      {
        status_code: o.controlHttpResponseStatusCode ?? 0,
        body_length: o.controlHttpResponseBodyLength ?? 0,
        body_is_truncated: false,
        header_names: o.controlHttpResponseHeadersKeys ?? [],
        title: o.controlHttpResponseTitle ?? '',
      },
    );
    return;
  }
}
