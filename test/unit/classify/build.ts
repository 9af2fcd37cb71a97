/**
 * A tiny builder of hand-made measurements for the classify tests: lookups, endpoints (TCP, then
 * optionally TLS and HTTP on the same transaction) and a helper response, in our model's shapes.
 */
import type {
  ControlHop,
  ControlRecord,
  DnsQueryObservation,
  Failure,
  HttpRequestObservation,
  Observations,
  ThResponse,
  TlsHandshakeObservation,
} from '../../../src/model/index.js';
import type { ClassifyInput } from '../../../src/classify/types.js';

export interface LookupSpec {
  hostname?: string;
  engine?: DnsQueryObservation['engine'];
  queryType?: DnsQueryObservation['query_type'];
  addrs?: string[];
  failure?: string | null;
  depth?: number;
  tags?: string[];
}

export interface EndpointSpec {
  ip: string;
  port?: number;
  depth?: number;
  /** default true */
  fetchBody?: boolean;
  /** default true: our probe tags its primary endpoints `classic`. */
  classic?: boolean;
  tcpFailure?: string | null;
  tls?: { serverName?: string; failure?: string | null; noTlsVerify?: boolean; issuer?: string };
  /** The flow's repeated handshake with a harmless SNI after a TLS failure (tagged sni_probe). */
  sniProbe?: { serverName?: string; failure?: string | null; tcpFailure?: string | null };
  http?: {
    url?: string;
    failure?: string | null;
    code?: number;
    bodyLength?: number;
    truncated?: boolean;
    title?: string;
    headers?: Record<string, string>;
    body?: string;
  } | null;
}

export interface HelperSpec {
  dns?: { failure?: string | null; addrs?: string[] };
  /** keyed by IP:PORT */
  tcp?: Record<string, string | null>;
  /** keyed by IP:PORT: failure (null = ok); SNI defaults to the URL host */
  tls?: Record<string, string | null | { serverName: string; failure: string | null }>;
  http?: { failure?: string | null; code?: number; bodyLength?: number; title?: string; headers?: Record<string, string> };
  ipInfo?: Record<string, number>;
  hops?: ControlHop[];
}

const PAGE_HEADERS = { 'Content-Type': 'text/html', Date: 'Thu, 24 Aug 2023 14:35:29 GMT', 'Content-Length': '1533', 'Alt-Svc': 'h3=":443"' };

/** MeasurementBuilder builds a {@link ClassifyInput}; every method returns `this` for chaining. */
export class MeasurementBuilder {
  private txid = 1;
  readonly observations: Observations = { queries: [], tcp_connect: [], tls_handshakes: [], requests: [], network_events: [] };
  private controlRecord: ControlRecord;

  constructor(readonly url: string) {
    this.controlRecord = { source: 'none', address: null, request: null, response: null, failure: 'no helper', dns_reference: null, t0: null, t: null };
  }

  get host(): string {
    return new URL(this.url).hostname;
  }

  /** A lookup by the primary resolver (getaddrinfo by default). */
  lookup(spec: LookupSpec = {}): this {
    const depth = spec.depth ?? 0;
    const addrs = spec.addrs ?? [];
    this.observations.queries.push({
      engine: spec.engine ?? 'getaddrinfo',
      resolver_address: 'system',
      hostname: spec.hostname ?? this.host,
      query_type: spec.queryType ?? 'ANY',
      answers: addrs.map((a) => (a.includes(':') ? { answer_type: 'AAAA', ipv6: a, ttl: null } : { answer_type: 'A', ipv4: a, ttl: null })),
      failure: (spec.failure ?? null) as Failure | null,
      t0: 0,
      t: 0.01,
      transaction_id: this.txid++,
      depth,
      tags: spec.tags ?? [`depth=${depth}`],
    });
    return this;
  }

  /** A TCP connect, then (optionally) a TLS handshake and an HTTP round trip on the same transaction. */
  endpoint(spec: EndpointSpec): this {
    const txid = this.txid++;
    const depth = spec.depth ?? 0;
    const port = spec.port ?? (this.url.startsWith('https:') ? 443 : 80);
    const tags = [`depth=${depth}`, `fetch_body=${String(spec.fetchBody ?? true)}`, ...((spec.classic ?? true) ? ['classic'] : [])];
    const address = spec.ip.includes(':') ? `[${spec.ip}]:${port}` : `${spec.ip}:${port}`;
    const tcpFailure = (spec.tcpFailure ?? null) as Failure | null;
    this.observations.tcp_connect.push({ ip: spec.ip, port, status: { success: tcpFailure === null, failure: tcpFailure }, t0: 0.1, t: 0.2, transaction_id: txid, depth, tags });
    if (tcpFailure !== null) return this;
    if (spec.tls) {
      const failure = (spec.tls.failure ?? null) as Failure | null;
      const h: TlsHandshakeObservation = {
        network: 'tcp', address, server_name: spec.tls.serverName ?? this.host, alpn: ['h2', 'http/1.1'],
        no_tls_verify: spec.tls.noTlsVerify ?? false, negotiated_protocol: failure ? null : 'http/1.1',
        tls_version: failure ? null : 'TLSv1.3', cipher_suite: null, peer_certificates: null,
        peer_certificates_summary: spec.tls.issuer
          ? [{ subject: `CN=${this.host}`, issuer: spec.tls.issuer, subject_alt_names: [this.host], not_before: '2024-01-01T00:00:00Z', not_after: '2030-01-01T00:00:00Z', fingerprint_sha256: '00' }]
          : [],
        failure, t0: 0.2, t: 0.3, transaction_id: txid, depth, tags,
      };
      this.observations.tls_handshakes.push(h);
      if (failure !== null && spec.sniProbe) {
        const ptx = this.txid++;
        const ptags = ['sni_probe', `depth=${depth}`];
        const ptcp = (spec.sniProbe.tcpFailure ?? null) as Failure | null;
        this.observations.tcp_connect.push({ ip: spec.ip, port, status: { success: ptcp === null, failure: ptcp }, t0: 0.4, t: 0.5, transaction_id: ptx, depth, tags: ptags });
        if (ptcp === null) {
          const pf = (spec.sniProbe.failure ?? null) as Failure | null;
          this.observations.tls_handshakes.push({ ...h, server_name: spec.sniProbe.serverName ?? 'example.org', failure: pf, transaction_id: ptx, tags: ptags, t0: 0.5, t: 0.6 });
        }
      }
      if (failure !== null) return this;
    }
    if (spec.http === undefined || spec.http === null) return this;
    const failure = (spec.http.failure ?? null) as Failure | null;
    const headers = spec.http.headers ?? PAGE_HEADERS;
    const r: HttpRequestObservation = {
      network: 'tcp', address,
      request: { method: 'GET', url: spec.http.url ?? this.url, headers: {}, headers_list: [], body: '', body_is_truncated: false, x_transport: 'tcp' },
      response: failure !== null ? null : {
        code: spec.http.code ?? 200, headers, headers_list: Object.entries(headers), body: spec.http.body ?? '',
        body_is_truncated: spec.http.truncated ?? false, body_length: spec.http.bodyLength ?? 1533, title: spec.http.title ?? 'Default Web Page',
      },
      failure, t0: 0.3, t: 0.5, transaction_id: txid, depth, tags,
    };
    this.observations.requests.push(r);
    return this;
  }

  /** A helper answer. Defaults: DNS resolves no address unless told, HTTP 200 with 1533 bytes and the example page. */
  helper(spec: HelperSpec = {}): this {
    const tls: NonNullable<ThResponse['tls_handshake']> = {};
    for (const [addr, v] of Object.entries(spec.tls ?? {})) {
      const { serverName, failure } = v !== null && typeof v === 'object' ? v : { serverName: this.host, failure: v };
      tls[addr] = { server_name: serverName, status: failure === null, failure };
    }
    const tcp: ThResponse['tcp_connect'] = {};
    for (const [addr, f] of Object.entries(spec.tcp ?? {})) tcp[addr] = { status: f === null, failure: f };
    const httpFailure = spec.http?.failure ?? null;
    const response: ThResponse = {
      tcp_connect: tcp,
      tls_handshake: tls,
      http_request: {
        body_length: httpFailure ? -1 : spec.http?.bodyLength ?? 1533,
        discovered_h3_endpoint: '',
        failure: httpFailure,
        title: httpFailure ? '' : spec.http?.title ?? 'Default Web Page',
        headers: httpFailure ? {} : spec.http?.headers ?? PAGE_HEADERS,
        status_code: httpFailure ? -1 : spec.http?.code ?? 200,
      },
      dns: { failure: spec.dns?.failure ?? null, addrs: spec.dns?.addrs ?? [] },
    };
    if (spec.ipInfo) {
      response.ip_info = {};
      for (const [ip, asn] of Object.entries(spec.ipInfo)) response.ip_info[ip] = { asn, flags: 0 };
    }
    if (spec.hops) response.x_censorprobe = { software: 'censorprobe/test', hops: spec.hops };
    this.controlRecord = {
      source: 'helper', address: 'http://127.0.0.1:8080/',
      request: { http_request: this.url, http_request_headers: {}, tcp_connect: [] },
      response, failure: null, dns_reference: null, t0: 0, t: 0.5,
    };
    return this;
  }

  /** No helper; optionally a DoH reference answer. */
  noHelper(failure = 'generic_timeout_error', dnsReference?: { addrs?: string[]; failure?: string | null }): this {
    this.controlRecord = {
      source: dnsReference ? 'doh' : 'none', address: null, request: null, response: null, failure,
      dns_reference: dnsReference ? { resolver_address: 'https://dns.google/dns-query', failure: dnsReference.failure ?? null, addrs: dnsReference.addrs ?? [] } : null,
      t0: null, t: null,
    };
    return this;
  }

  build(): ClassifyInput {
    return { url: this.url, observations: this.observations, control: this.controlRecord };
  }
}

/** measurement starts a builder for `url`. */
export function measurement(url: string): MeasurementBuilder {
  return new MeasurementBuilder(url);
}

/** The standard world's example.com address (AS15133). */
export const EXAMPLE_IP = '93.184.216.34';

/** A helper that resolved {@link EXAMPLE_IP}, connected to it on the URL's port, and (https) handshook. */
export function okHelper(url: string): HelperSpec {
  const port = url.startsWith('https') ? 443 : 80;
  return { dns: { addrs: [EXAMPLE_IP] }, tcp: { [`${EXAMPLE_IP}:${port}`]: null }, tls: port === 443 ? { [`${EXAMPLE_IP}:443`]: null } : {} };
}
