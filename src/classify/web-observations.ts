/**
 * Flat web observations: OONI's minipipeline view of a measurement, where each DNS answer and
 * each endpoint transaction (TCP, upgraded with TLS and HTTP of the same transaction id) is one
 * record carrying the probe's result and the matching control result.
 *
 * Source: OONI probe-cli `internal/minipipeline/observation.go` (ingest, control cross-reference)
 * and `classic.go` (`ClassicFilter`) Pure.
 *
 * Optional fields follow Go's `optional.Value`: `undefined` = no information, `''` = success,
 * any other string = failure.
 */
import { SNI_PROBE_TAG, type Observations, type ThResponse } from '../model/index.js';
import { isBogon } from './bogon.js';
import { isFinalStatus } from './response.js';

/** The kind of the last operation of a flat observation; higher values sort first. */
export enum WebObservationType {
  DnsLookup = 0,
  TcpConnect = 1,
  TlsHandshake = 2,
  HttpRoundTrip = 3,
}

/** One flat observation (OONI `WebObservation`, the fields we use). */
export interface WebObservation {
  type: WebObservationType;
  /** Redirect depth from the `depth=N` tag; undefined when absent. */
  depth: number | undefined;
  /** Failure of the last operation: '' success, undefined unknown. */
  failure: string | undefined;
  transactionId: number;
  /** From the `fetch_body=` tag; undefined when absent. */
  fetchBody: boolean | undefined;
  /** Tagged `classic` (our probe tags its primary resolver's queries and endpoints). */
  taggedClassic: boolean;

  dnsTransactionId?: number;
  dnsDomain?: string;
  dnsLookupFailure?: string;
  dnsQueryType?: string;
  dnsEngine?: string;
  dnsResolvedAddrs?: Set<string>;

  ipAddress?: string;
  ipAddressBogon?: boolean;

  endpointTransactionId?: number;
  /** `IP:PORT`, IPv6 in brackets. */
  endpointAddress?: string;
  tcpConnectFailure?: string;
  tlsHandshakeFailure?: string;
  tlsServerName?: string;

  httpRequestUrl?: string;
  httpFailure?: string;
  httpResponseStatusCode?: number;
  /** Bytes of body captured. */
  httpResponseBodyLength?: number;
  httpResponseBodyIsTruncated?: boolean;
  httpResponseHeadersKeys?: string[];
  httpResponseTitle?: string;
  /** True when the status is 2xx, 4xx or 5xx (not a redirect). */
  httpResponseIsFinal?: boolean;

  controlDnsDomain?: string;
  controlDnsLookupFailure?: string;
  controlDnsResolvedAddrs?: Set<string>;
  controlTcpConnectFailure?: string;
  controlTlsHandshakeFailure?: string;
  controlHttpFailure?: string;
  controlHttpResponseStatusCode?: number;
  controlHttpResponseBodyLength?: number;
  controlHttpResponseHeadersKeys?: string[];
  controlHttpResponseTitle?: string;
}

/** What the control lets us expect (OONI `WebObservationsControlExpectations`). */
export interface ControlExpectations {
  /** Addresses the helper resolved for the input domain. */
  dnsAddresses: Set<string>;
  /** The helper's final HTTP failure: '' when it fetched the page. */
  finalResponseFailure: string;
}

/** A set of flat observations (OONI `WebObservationsContainer`). */
export interface WebObservationsContainer {
  dnsLookupFailures: WebObservation[];
  dnsLookupSuccesses: WebObservation[];
  /** Endpoint observations keyed by transaction id, in ingest order. */
  knownTcpEndpoints: Map<number, WebObservation>;
  /** First DNS observation that resolved each address. */
  knownIpAddresses: Map<string, WebObservation>;
  controlExpectations: ControlExpectations | undefined;
}

/** tagDepth extracts N from a `depth=N` tag (OONI `utilsExtractTagDepth`). */
export function tagDepth(tags: readonly string[], fallback?: number): number | undefined {
  for (const tag of tags) {
    const m = /^depth=(\d+)$/.exec(tag);
    if (m) return Number(m[1]);
  }
  return fallback;
}

/** tagFetchBody extracts the `fetch_body=true|false` tag (OONI `utilsExtractTagFetchBody`). */
export function tagFetchBody(tags: readonly string[]): boolean | undefined {
  for (const tag of tags) {
    if (tag === 'fetch_body=true') return true;
    if (tag === 'fetch_body=false') return false;
  }
  return undefined;
}

/** joinHostPort formats `IP:PORT`, bracketing IPv6 (Go `net.JoinHostPort`). */
export function joinHostPort(ip: string, port: number | string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The host of a URL as Go's `URL.Hostname()` returns it (no brackets); '' when unparsable. */
export function urlHostname(url: string): string {
  try {
    const host = new URL(url).hostname;
    return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  } catch {
    return '';
  }
}


/**
 * ingestObservations builds the flat container from our observations (OONI `IngestDNSLookupEvents`,
 * `IngestTCPConnectEvents`, `IngestTLSHandshakeEvents`, `IngestHTTPRoundTripEvents`) and, when a
 * helper response is available, cross-references it (`IngestControlMessages`) using `inputDomain`
 * (the host of the control request URL).
 *
 * QUIRK kept from OONI: successful lookups get `failure: ''` so that the loopback rules (6, 7) can
 * match; an HTTP request without a TCP connect of the same transaction id is ignored.
 * Observations tagged {@link SNI_PROBE_TAG} (our extra handshake with a harmless SNI) are left
 * out: OONI never made them, so the OONI keys and x_* flags stay OONI's.
 */
export function ingestObservations(
  all: Observations,
  control: ThResponse | null,
  inputDomain: string,
): WebObservationsContainer {
  const obs = withoutSniProbes(all);
  const c: WebObservationsContainer = {
    dnsLookupFailures: [],
    dnsLookupSuccesses: [],
    knownTcpEndpoints: new Map(),
    knownIpAddresses: new Map(),
    controlExpectations: undefined,
  };
  ingestDns(c, obs);
  ingestEndpoints(c, obs);
  if (control !== null) ingestControl(c, control, inputDomain);
  return c;
}

/** The DNS-lookup observation of query `q` with `failure` ('' for a success), without addresses. */
function dnsObservation(q: Observations['queries'][number], failure: string): WebObservation {
  return {
    type: WebObservationType.DnsLookup,
    failure,
    transactionId: q.transaction_id,
    depth: tagDepth(q.tags, q.depth),
    fetchBody: undefined,
    taggedClassic: q.tags.includes('classic'),
    dnsTransactionId: q.transaction_id,
    dnsDomain: q.hostname,
    dnsLookupFailure: failure,
    dnsQueryType: q.query_type,
    dnsEngine: q.engine,
  };
}

/** DNS failures, then successes (OONI ingests them in this order). */
function ingestDns(c: WebObservationsContainer, obs: Observations): void {
  for (const q of obs.queries) {
    if (q.failure === null) continue;
    c.dnsLookupFailures.push(dnsObservation(q, q.failure));
  }
  for (const q of obs.queries) {
    if (q.failure !== null) continue;
    const addrs = new Set<string>();
    for (const a of q.answers) {
      if (a.answer_type === 'A' && a.ipv4) addrs.add(a.ipv4);
      if (a.answer_type === 'AAAA' && a.ipv6) addrs.add(a.ipv6);
    }
    for (const ip of addrs) {
      const o: WebObservation = { ...dnsObservation(q, ''), dnsResolvedAddrs: addrs, ipAddress: ip, ipAddressBogon: isBogon(ip) };
      c.dnsLookupSuccesses.push(o);
      if (!c.knownIpAddresses.has(ip)) c.knownIpAddresses.set(ip, o);
    }
  }
}

/** TCP connects, then the TLS handshakes and HTTP round trips of the same transaction. */
function ingestEndpoints(c: WebObservationsContainer, obs: Observations): void {
  for (const t of obs.tcp_connect) {
    const dns = c.knownIpAddresses.get(t.ip);
    const failure = t.status.failure ?? '';
    const o: WebObservation = {
      type: WebObservationType.TcpConnect,
      failure,
      transactionId: t.transaction_id,
      depth: tagDepth(t.tags, t.depth),
      fetchBody: tagFetchBody(t.tags),
      taggedClassic: t.tags.includes('classic'),
      ipAddress: t.ip,
      ipAddressBogon: isBogon(t.ip),
      endpointTransactionId: t.transaction_id,
      endpointAddress: joinHostPort(t.ip, t.port),
      tcpConnectFailure: failure,
    };
    if (dns) {
      o.dnsTransactionId = dns.dnsTransactionId;
      o.dnsDomain = dns.dnsDomain;
      o.dnsLookupFailure = dns.dnsLookupFailure;
      o.dnsResolvedAddrs = dns.dnsResolvedAddrs;
    }
    c.knownTcpEndpoints.set(t.transaction_id, o);
  }
  for (const h of obs.tls_handshakes) {
    const o = c.knownTcpEndpoints.get(h.transaction_id);
    if (!o) continue;
    o.type = WebObservationType.TlsHandshake;
    o.failure = h.failure ?? '';
    o.tlsHandshakeFailure = o.failure;
    o.tlsServerName = h.server_name;
  }
  for (const r of obs.requests) {
    const o = c.knownTcpEndpoints.get(r.transaction_id);
    if (!o) continue;
    o.type = WebObservationType.HttpRoundTrip;
    o.failure = r.failure ?? '';
    o.httpFailure = o.failure;
    o.httpRequestUrl = r.request.url;
    if (r.failure === null && r.response !== null) {
      o.httpResponseStatusCode = r.response.code;
      o.httpResponseBodyLength = r.response.body_length;
      o.httpResponseBodyIsTruncated = r.response.body_is_truncated;
      o.httpResponseHeadersKeys = Object.keys(r.response.headers);
      o.httpResponseTitle = r.response.title;
      o.httpResponseIsFinal = isFinalStatus(r.response.code);
    }
  }
}

/** The observations minus those tagged {@link SNI_PROBE_TAG} (no copy when there are none). */
function withoutSniProbes(obs: Observations): Observations {
  if (!obs.tcp_connect.some((t) => t.tags.includes(SNI_PROBE_TAG)) && !obs.tls_handshakes.some((h) => h.tags.includes(SNI_PROBE_TAG))) return obs;
  return {
    ...obs,
    tcp_connect: obs.tcp_connect.filter((t) => !t.tags.includes(SNI_PROBE_TAG)),
    tls_handshakes: obs.tls_handshakes.filter((h) => !h.tags.includes(SNI_PROBE_TAG)),
  };
}

/** OONI `IngestControlMessages`: DNS by domain, TCP by `IP:PORT`, TLS by `IP:PORT` + SNI, HTTP everywhere. */
function ingestControl(c: WebObservationsContainer, resp: ThResponse, inputDomain: string): void {
  const dnsFailure = resp.dns.failure ?? '';
  for (const o of [...c.dnsLookupFailures, ...c.dnsLookupSuccesses]) {
    if (o.dnsDomain !== inputDomain) continue;
    o.controlDnsDomain = inputDomain;
    o.controlDnsLookupFailure = dnsFailure;
    if (resp.dns.failure !== null) continue;
    o.controlDnsResolvedAddrs = new Set(resp.dns.addrs);
  }
  const http = resp.http_request;
  for (const o of c.knownTcpEndpoints.values()) {
    const addr = o.endpointAddress ?? '';
    const tcp = resp.tcp_connect[addr];
    if (tcp) o.controlTcpConnectFailure = tcp.failure ?? '';
    if (o.tlsServerName !== undefined) {
      const tls = resp.tls_handshake?.[addr];
      if (tls && tls.server_name === o.tlsServerName) o.controlTlsHandshakeFailure = tls.failure ?? '';
    }
  }
  // The final HTTP expectation goes on EVERY observation, DNS ones included, so that a lookup that
  // fails after a redirect is judged against a control that fetched the page (OONI
  // `controlSetHTTPFinalResponseExpectation`, minipipeline/observation.go).
  for (const o of [...c.dnsLookupFailures, ...c.dnsLookupSuccesses, ...c.knownTcpEndpoints.values()]) {
    o.controlHttpFailure = http.failure ?? '';
    if (http.failure !== null) continue;
    o.controlHttpResponseStatusCode = http.status_code;
    o.controlHttpResponseBodyLength = http.body_length;
    o.controlHttpResponseHeadersKeys = Object.keys(http.headers);
    o.controlHttpResponseTitle = http.title;
  }
  c.controlExpectations = { dnsAddresses: new Set(resp.dns.addrs), finalResponseFailure: http.failure ?? '' };
}

/**
 * isClassicLookup: a lookup by the system resolver (`getaddrinfo`) or tagged `classic` (our probe
 * tags its primary resolver's queries).
 */
function isClassicLookup(o: WebObservation): boolean {
  return o.dnsEngine === 'getaddrinfo' || o.taggedClassic;
}

/**
 * classicFilter keeps what Web Connectivity v0.4 would have measured (OONI `ClassicFilter`):
 * getaddrinfo (or `classic`-tagged) lookups, and endpoints tagged `fetch_body=true` whose address
 * came from such a lookup or that are tagged `classic` themselves. Addresses learnt only from the
 * helper are dropped.
 */
export function classicFilter(input: WebObservationsContainer): WebObservationsContainer {
  const out: WebObservationsContainer = {
    dnsLookupFailures: input.dnsLookupFailures.filter(isClassicLookup),
    dnsLookupSuccesses: [],
    knownTcpEndpoints: new Map(),
    knownIpAddresses: new Map(),
    controlExpectations: input.controlExpectations,
  };
  for (const o of input.dnsLookupSuccesses) {
    if (!isClassicLookup(o)) continue;
    out.dnsLookupSuccesses.push(o);
    out.knownIpAddresses.set(o.ipAddress ?? '', o);
  }
  for (const [txid, o] of input.knownTcpEndpoints) {
    if (o.fetchBody !== true) continue;
    if (!o.taggedClassic && !out.knownIpAddresses.has(o.ipAddress ?? '')) continue;
    out.knownTcpEndpoints.set(txid, o);
  }
  return out;
}
