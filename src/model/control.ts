/**
 * The control: OONI's Web Connectivity test-helper protocol (docs/helper-protocol.md,
 * `internal/model/th.go`), plus our extension under the single key `x_censorprobe`,
 * which OONI clients ignore.
 *
 * Failure strings in the OONI keys use the test helper's legacy mapping (`dns_name_error`,
 * `connection_refused_error`, `connect_error`, `dns_lookup_error`, `unknown_error`, ...) so that
 * OONI clients read them; the extension uses our own vocabulary ({@link Failure}) unmapped.
 */
import type { Failure } from './failure.js';
import type { CertificateSummary } from './observations.js';

/** The request a probe POSTs to a helper (`model.THRequest`). */
export interface ThRequest {
  http_request: string;
  http_request_headers: Record<string, string[]>;
  /** `IP:PORT` endpoints the probe resolved (IPv6 in brackets). */
  tcp_connect: string[];
  x_quic_enabled?: boolean;
}

/** `tcp_connect` entry of a helper response. */
export interface ThTcpConnectResult {
  status: boolean;
  failure: string | null;
}

/** `tls_handshake` entry of a helper response. */
export interface ThTlsHandshakeResult {
  server_name: string;
  status: boolean;
  failure: string | null;
}

/** `http_request` of a helper response: the final response of the helper's own redirect chain. */
export interface ThHttpRequestResult {
  /** Bytes of body read (-1 when the fetch failed). */
  body_length: number;
  discovered_h3_endpoint: string;
  failure: string | null;
  title: string;
  headers: Record<string, string>;
  /** -1 when the fetch failed. */
  status_code: number;
}

/** `dns` of a helper response: never null, `addrs` is `[]` on failure. */
export interface ThDnsResult {
  failure: string | null;
  addrs: string[];
}

/** `ip_info` entry: ASN (0 when unknown) and flags (1 probe, 2 helper, 4 bogon, 8 valid for domain by TLS). */
export interface ThIpInfo {
  asn: number;
  flags: number;
}

/** Our per-hop control result: what the helper saw at each hop of the redirect chain. */
export interface ControlHop {
  url: string;
  depth: number;
  dns: { failure: Failure | null; addrs: string[] };
  /** keyed by `IP:PORT`. */
  tcp_connect: Record<string, { status: boolean; failure: Failure | null }>;
  /** keyed by `IP:PORT`. */
  tls_handshake: Record<string, { server_name: string; status: boolean; failure: Failure | null; peer_certificates_summary?: CertificateSummary[] }>;
  http_request: {
    failure: Failure | null;
    status_code: number;
    body_length: number;
    body_is_truncated: boolean;
    title: string;
    headers: Record<string, string>;
    /** The absolute redirect target when the response was a followed redirect. */
    location: string | null;
    /**
     * Goodput of the helper's fetch in BITS per second: 8 × body bytes / (end − first byte), when
     * at least 32 KiB of body arrived, else null (attribution of slowness to the server, docs/throttling.md).
     * Optional (helpers before schema 1.1.0 do not send it).
     */
    goodput_bps?: number | null;
    /** The helper's fetch of this hop, request start to end of body, ms (since 1.2.0; optional). */
    duration_ms?: number;
    /** Body bytes the helper read at this hop, up to its cap (since 1.2.0; optional). */
    body_bytes?: number;
  } | null;
}

/** Our extension of the helper response (ignored by OONI clients). */
export interface ThExtension {
  /** Software that answered, e.g. `censorprobe/0.1.0`. */
  software: string;
  /** Every hop of the redirect chain, depth 0 first. */
  hops: ControlHop[];
}

/** The helper's answer (`model.THResponse`) with our extension. */
export interface ThResponse {
  tcp_connect: Record<string, ThTcpConnectResult>;
  tls_handshake?: Record<string, ThTlsHandshakeResult>;
  quic_handshake?: Record<string, unknown>;
  http_request: ThHttpRequestResult;
  http3_request?: ThHttpRequestResult | null;
  dns: ThDnsResult;
  ip_info?: Record<string, ThIpInfo>;
  x_censorprobe?: ThExtension;
}
