/**
 * Observations: the record of one network operation each, in OONI's archival shapes
 * (docs/measurement-model.md; spec df-002-dnst, df-005-tcpconnect, df-006-tlshandshake,
 * df-001-httpt, df-008-netevents) plus a few documented extensions.
 *
 * Conventions for every observation:
 * - `t0` and `t` are seconds (float) since the measurement's zero time (monotonic clock);
 * - `failure` is `null` on success, else a {@link Failure};
 * - `transaction_id` groups the events of one flow (one resolver query, one connection);
 * - `depth` is the redirect depth (0 = the input URL), also written as the tag `depth=N`;
 * - `tags` carry OONI's tags (`depth=N`, `fetch_body=true|false`, `classic`) and ours
 *   ({@link SNI_PROBE_TAG}).
 */
import type { Failure } from './failure.js';

/**
 * Tag of the extra TCP connect + TLS handshake the flow makes after a handshake failed with
 * `connection_reset`, `eof_error` or `generic_timeout_error`: the same address, a harmless SNI.
 * Such observations are evidence for our verdict only (SNI filtering vs interference with the
 * address); the OONI analysis ignores them, and they are never tagged `classic` or `fetch_body`.
 */
export const SNI_PROBE_TAG = 'sni_probe';

/**
 * Tag the OONI import puts on every connect of a measurement older than Web Connectivity 0.5 (no
 * role tags): such probes measured only the main test and dialled only the addresses their lookup
 * returned, so each connect is a fetch endpoint and its address one of the answers
 * (docs/ooni-import.md).
 */
export const MAIN_TEST_ONLY_TAG = 'x_censorprobe_main_test_only';

/** Binary data in a report (OONI's `{format: "base64", data}`). */
export interface BinaryData {
  format: 'base64';
  data: string;
}

/** One DNS answer record (OONI `ArchivalDNSAnswer`). `ttl` is seconds, null when unknown (getaddrinfo). */
export interface DnsAnswer {
  answer_type: 'A' | 'AAAA' | 'CNAME';
  ipv4?: string;
  ipv6?: string;
  hostname?: string;
  ttl: number | null;
  /** ASN of the address, when known (filled by analysis, not by the probe). */
  asn?: number;
}

/** Which resolver produced a query: the system (getaddrinfo), UDP (Do53) or DNS-over-HTTPS. */
export type DnsEngine = 'getaddrinfo' | 'udp' | 'doh';

/** A reply received after the first one within the late-reply window (injected answers race real ones). */
export interface DnsLateReply {
  t: number;
  rcode: number;
  answers: DnsAnswer[];
  raw_response: BinaryData;
}

/**
 * One DNS lookup (OONI `queries[]` entry). For getaddrinfo, OONI records one `ANY` query; we do the same.
 * Extensions: `rcode`, `raw_response` (the first reply), `late_replies` (UDP only, 500 ms window),
 * `failure_detail` (the raw error code, e.g. `ENOTFOUND`).
 */
export interface DnsQueryObservation {
  engine: DnsEngine;
  /** `system` for getaddrinfo, `IP:PORT` for UDP, the URL for DoH. */
  resolver_address: string;
  hostname: string;
  query_type: 'A' | 'AAAA' | 'ANY';
  answers: DnsAnswer[];
  failure: Failure | null;
  failure_detail?: string | null;
  rcode?: number | null;
  raw_response?: BinaryData | null;
  late_replies?: DnsLateReply[];
  t0: number;
  t: number;
  transaction_id: number;
  depth: number;
  tags: string[];
}

/** One TCP connect (OONI `tcp_connect[]`). */
export interface TcpConnectObservation {
  ip: string;
  port: number;
  status: { success: boolean; failure: Failure | null; blocked?: boolean | null };
  failure_detail?: string | null;
  t0: number;
  t: number;
  transaction_id: number;
  depth: number;
  tags: string[];
}

/** A summary of one certificate of the peer's chain (our extension; OONI keeps only DER). */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  subject_alt_names: string[];
  /** ISO-8601 UTC. */
  not_before: string;
  /** ISO-8601 UTC. */
  not_after: string;
  /** SHA-256 of the DER encoding, lower-case hex with colons, as Node prints it. */
  fingerprint_sha256: string;
}

/** One TLS handshake (OONI `tls_handshakes[]`) plus `peer_certificates_summary` and `failure_detail`. */
export interface TlsHandshakeObservation {
  network: 'tcp';
  /** `IP:PORT` (IPv6 in brackets). */
  address: string;
  server_name: string;
  alpn: string[];
  no_tls_verify: boolean;
  negotiated_protocol: string | null;
  tls_version: string | null;
  cipher_suite: string | null;
  /** The peer chain in DER, leaf first (OONI shape). */
  peer_certificates: BinaryData[] | null;
  peer_certificates_summary: CertificateSummary[];
  failure: Failure | null;
  failure_detail?: string | null;
  t0: number;
  t: number;
  transaction_id: number;
  depth: number;
  tags: string[];
}

/** A header list as `[name, value]` pairs in wire order (OONI `headers_list`). */
export type HeadersList = [string, string][];

/** One HTTP round trip (OONI `requests[]`), with the body captured up to a cap. */
export interface HttpRequestObservation {
  network: 'tcp';
  /** `IP:PORT` the request went over. */
  address: string;
  request: {
    method: 'GET';
    url: string;
    headers: Record<string, string>;
    headers_list: HeadersList;
    body: string;
    body_is_truncated: boolean;
    x_transport: 'tcp';
  };
  /** null when no response head was received. */
  response: {
    code: number;
    headers: Record<string, string>;
    headers_list: HeadersList;
    /** UTF-8 text when the bytes are valid UTF-8, else base64. */
    body: string | BinaryData;
    /** True when the body reached the cap (`body_length >= cap`, OONI rule). */
    body_is_truncated: boolean;
    /** Bytes of body captured (at most the cap). */
    body_length: number;
    /** `<title>` per OONI's regex `(?i)<title>([^<]{1,512})</title>`, '' when none. */
    title: string;
  } | null;
  failure: Failure | null;
  failure_detail?: string | null;
  /** Seconds from request start to the first response byte; null when none. */
  t_first_byte?: number | null;
  t0: number;
  t: number;
  transaction_id: number;
  depth: number;
  tags: string[];
}

/** A network event (OONI `network_events[]`): reads, writes and byte samples, bounded per connection. */
export interface NetworkEvent {
  operation: 'read' | 'write' | 'bytes_received_cumulative' | 'connect' | 'tls_handshake_start' | 'tls_handshake_done';
  address?: string;
  num_bytes?: number;
  failure: Failure | null;
  t: number;
  transaction_id: number;
  tags?: string[];
}

/** Every observation of one measurement, flat, OONI-style (`depth` tells redirect hops apart). */
export interface Observations {
  queries: DnsQueryObservation[];
  tcp_connect: TcpConnectObservation[];
  tls_handshakes: TlsHandshakeObservation[];
  requests: HttpRequestObservation[];
  network_events: NetworkEvent[];
  /**
   * Addresses from a DNS answer (or a redirect target) that the flow never connected to, and why:
   * `bogon` covers private, loopback, 0.0.0.0/8, `::` and the other reserved ranges (src/model/ip.ts).
   * No tcp_connect observation exists for them. Absent when every address was dialled
   * (docs/measurement-model.md, "Addresses never dialled").
   */
  x_not_dialled?: NotDialled[];
  /** Protocol variants the site advertised that the probe did not test; absent when none. */
  x_untested_variants?: UntestedVariant[];
  /**
   * The DNS HTTPS (type 65) query of each hop host, asked beside A/AAAA (since schema 1.4.0; absent
   * when the flow did not ask). Kept apart from `queries`: the DNS comparison never uses it
   * (docs/measurement-model.md, "Untested protocol variants").
   */
  x_https_records?: HttpsRecordsObservation[];
  /** How each followed redirect hop was reached (depth of the hop it came FROM); absent when none. */
  x_redirects?: RedirectRecord[];
}

/** An address the flow refused to dial: `IP`, the port it would have used, the hop's depth, the reason. */
export interface NotDialled {
  ip: string;
  port: number;
  depth: number;
  reason: 'bogon';
}

/**
 * A protocol variant the site advertised that the probe did not test: `http3` from an `Alt-Svc`
 * header, `ech` from a DNS HTTPS record; `advertised` is the advertisement (at most 200 characters).
 */
export interface UntestedVariant {
  variant: 'http3' | 'ech';
  depth: number;
  url: string;
  source: 'alt-svc' | 'https-rr';
  advertised: string;
}

/**
 * One HTTPS resource record (RFC 9460), as the report keeps it: `priority` (0 = AliasMode),
 * `target` (TargetName, `.` = the owner itself), `alpn` ids (at most 8), `ech` (an `ech`
 * SvcParam is present, draft-ietf-tls-svcb-ech) with `ech_bytes` its length in bytes, and `port`
 * when the record has one.
 */
export interface HttpsRecord {
  priority: number;
  target: string;
  alpn: string[];
  ech: boolean;
  ech_bytes?: number;
  port?: number;
}

/**
 * One HTTPS (type 65) query of a hop host (`x_https_records[]`): which resolver was asked
 * (`engine` `udp` with `IP:PORT` or `doh` with the URL; null when none could be, e.g. no
 * nameserver in /etc/resolv.conf), the rcode, the failure (the DNS vocabulary: NOERROR without a
 * record is `dns_no_answer`), the parsed `records` (at most 16, a CNAME chain in the answer
 * followed), `malformed` (records that did not parse and were ignored, as a client ignores them),
 * `raw_response` (the reply, when at most 4096 bytes), `t0`/`t` (seconds, like every observation).
 */
export interface HttpsRecordsObservation {
  hostname: string;
  depth: number;
  engine: 'udp' | 'doh';
  resolver_address: string | null;
  rcode: number | null;
  failure: Failure | null;
  failure_detail: string | null;
  records: HttpsRecord[];
  malformed: number;
  raw_response: BinaryData | null;
  t0: number;
  t: number;
}

/**
 * One followed redirect: from the hop at `depth` to `to`, by a Location header (`location`), a
 * `Refresh` header (`refresh_header`) or an HTML meta refresh (`meta_refresh`).
 */
export interface RedirectRecord {
  depth: number;
  from: string;
  to: string;
  kind: 'location' | 'refresh_header' | 'meta_refresh';
}
