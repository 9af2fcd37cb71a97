/**
 * `censorprobe helper`: an OONI-compatible Web Connectivity test helper (docs/measurement-model.md
 * section 2, `internal/oohelperd`), built from the probe's own primitives and flow so that the
 * control measures exactly what the probe measures.
 *
 * Differences from oohelperd, all additive: DNS goes through a configurable resolver (system,
 * UDP or DoH) instead of dns.google only; the answer carries `x_censorprobe.hops`, the control
 * result of every hop of the redirect chain (DNS, TCP, TLS, HTTP), so the probe can name the layer
 * of a failure after a redirect.
 *
 * Safety (docs/helper-protocol.md): bogon targets are refused (SSRF), the request body is capped
 * (1 MiB), every step has a timeout and the whole measurement a budget, and load is shed with 503
 * beyond `maxInFlight` concurrent measurements (OONI sheds at 25).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import type tls from 'node:tls';
import type { ControlHop, HttpRequestObservation, ThRequest, ThResponse, ThIpInfo } from '../model/index.js';
import { createClock, DEFAULT_MAX_BODY_BYTES, firstValues, formatEndpoint, parseEndpoint, tcpConnect, tlsHandshake } from '../net/index.js';
import type { FlowOptions, HopResult, ReusedConnection } from '../flows/index.js';
import { measureUrl } from '../flows/index.js';
import { isIpLiteral } from '../model/ip.js';
import { isRefusedAddress as isBogon } from './address-guard.js';
import { forwardableHeaders } from './forward-headers.js';
import { acceptTlsToo } from './reference-tls.js';
import { closeAfter, ConnectionGate, parseStrictBytes, readBodyLimited, resolveLimits, serverOptions, type HelperLimits } from './limits.js';
import { legacyDnsFailure, legacyHttpFailure, legacyTcpFailure } from './legacy-failures.js';

/** Configuration of the helper. */
export interface HelperOptions {
  /** How the helper resolves names (its own, uncensored view). */
  resolver: FlowOptions['resolver'];
  timeouts: FlowOptions['timeouts'];
  /** Body cap in bytes for the helper's fetch (OONI's helper reads up to 16 MiB). */
  maxBodyBytes: number;
  maxRedirects: number;
  extraCa?: string[];
  /** Concurrent measurements before answering 503 (default 25, OONI `handler.go`). */
  maxInFlight: number;
  /** Software string in `x_censorprobe.software`, e.g. `censorprobe/0.1.0`. */
  software: string;
  /** Budget of one measurement, ms (default HELPER_MEASUREMENT_BUDGET_MS, 45 s). */
  budgetMs?: number;
  /** Called once per handled request, for logging (no URLs of users are logged by default). */
  onRequest?: (info: { status: number; ms: number }) => void;
  /** Server-level limits (connections, timeouts, request body); defaults in `limits.ts`. */
  limits?: Partial<HelperLimits>;
}

/**
 * Budget of one control measurement, ms: the fetch (every redirect hop) and the endpoint checks
 * stop when it runs out (their pending steps fail with `interrupted`). It keeps the helper's worst
 * case below the client's default control timeout (DEFAULT_CONTROL_TIMEOUT_MS in th-client.ts,
 * 60 s): a long redirect chain of slow hops cannot make the probe's control time out.
 * docs/helper-protocol.md, "Budget".
 */
export const HELPER_MEASUREMENT_BUDGET_MS = 45_000;

/**
 * Creates (does not listen) the helper's HTTP server. GET `/x/reference-stream?bytes=N` serves
 * the throttling test's reference stream ({@link serveReferenceStream}); any other GET answers a
 * health check; POST with a {@link ThRequest} JSON body answers a {@link ThResponse}; anything
 * else 400/405/408/413/503. Server-level limits (connections, timeouts, body cap and deadline,
 * 503 beyond `maxInFlight`, the reference stream counted in flight) are in `limits.ts`.
 */
export function createHelperServer(opts: HelperOptions): HelperServer {
  const limits = resolveLimits(opts.limits);
  const gate = new ConnectionGate(limits);
  let inFlight = 0;
  const server = http.createServer(serverOptions(limits), (req, res) => {
    const started = Date.now();
    const reply = (status: number, body: unknown, close = false): void => {
      if (res.headersSent || res.destroyed) return;
      const text = JSON.stringify(body);
      if (close) closeAfter(res);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), server: opts.software, ...(close ? { connection: 'close' } : {}) });
      res.end(text);
      opts.onRequest?.({ status, ms: Date.now() - started });
    };
    if (gate.enter(req, res) === 'rejected') return reply(503, { error: 'too many connections' }, true);
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === REFERENCE_STREAM_PATH) {
      if (inFlight >= opts.maxInFlight) return reply(503, { error: 'too many requests in flight' });
      inFlight++;
      res.once('close', () => inFlight--);
      return serveReferenceStream(req, res);
    }
    if (req.method === 'GET') return reply(200, { message: 'Hello OONItarian!' });
    if (req.method !== 'POST') return reply(405, { error: 'use POST with a test-helper request' }, true);
    void readBodyLimited(req, limits.maxRequestBytes, limits.bodyReadMs).then(async (read) => {
      if (read.kind === 'too_large') return reply(413, { error: `request larger than ${limits.maxRequestBytes} bytes` }, true);
      if (read.kind === 'timeout') return reply(408, { error: `request body not received within ${limits.bodyReadMs} ms` }, true);
      if (read.kind === 'error') return;
      if (inFlight >= opts.maxInFlight) return reply(503, { error: 'too many requests in flight' });
      inFlight++;
      try {
        const parsed = parseThRequest(read.body);
        if (typeof parsed === 'string') return reply(400, { error: parsed });
        const refusal = refuseTarget(parsed);
        if (refusal !== null) return reply(400, { error: refusal });
        return reply(200, await measureControl(parsed, opts));
      } catch (err) {
        return reply(500, { error: `internal error: ${err instanceof Error ? err.message : String(err)}` });
      } finally {
        inFlight--;
      }
    });
  }) as HelperServer;
  acceptTlsToo(server); // the reference stream over TLS, same port (reference-tls.ts)
  gate.attach(server);
  Object.defineProperty(server, 'stats', { value: () => ({ inFlight, connections: gate.size, evicted: gate.evicted, refused: gate.refused }) });
  return server;
}

/** The helper's server with its counters (tests and the load bench read them). */
export interface HelperServer extends http.Server {
  stats(): { inFlight: number; connections: number; evicted: number; refused: number };
}

/** Validates a helper request; returns it, or a one-line reason. */
export function parseThRequest(text: string): ThRequest | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'request body is not JSON';
  }
  if (typeof v !== 'object' || v === null) return 'request body is not a JSON object';
  const o = v as Record<string, unknown>;
  if (typeof o['http_request'] !== 'string') return 'http_request must be a URL string';
  let url: URL;
  try {
    url = new URL(o['http_request']);
  } catch {
    return 'http_request is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'http_request must be http or https';
  const tcp = o['tcp_connect'] ?? [];
  if (!Array.isArray(tcp) || !tcp.every((e) => typeof e === 'string' && /^(\[[0-9a-fA-F:.]+\]|[0-9.]+):\d{1,5}$/.test(e))) {
    return 'tcp_connect must be a list of "ip:port" strings';
  }
  if (tcp.length > 64) return 'tcp_connect lists more than 64 endpoints';
  for (const ep of tcp as string[]) {
    if (parseEndpoint(ep) === null) return `tcp_connect entry '${ep}' is not a valid ip:port`;
  }
  // Kept as sent (the answer's request echo); what is forwarded is filtered by forwardableHeaders.
  const raw = o['http_request_headers'];
  const headers: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(forwardableHeaders(raw))) headers[k] = [v];
  return { http_request: url.href, http_request_headers: headers, tcp_connect: tcp as string[], x_quic_enabled: false };
}

/** SSRF guard: an IP-literal target that is a bogon is refused outright. */
function refuseTarget(req: ThRequest): string | null {
  const host = new URL(req.http_request).hostname.replace(/^\[|\]$/g, '');
  if (isIpLiteral(host) && isBogon(host)) return `refusing to measure a private or reserved address (${host})`;
  return null;
}


/**
 * Measures one control request: DNS and the HTTP chain through {@link measureUrl} (bogon
 * addresses never dialled; the client's request headers forwarded, see forward-headers.ts; the
 * chain's cookies kept), and, CONCURRENTLY with that fetch as oohelperd does (`measure.go`), TCP
 * (and TLS on 443) to the union of the probe's and the helper's addresses, with OONI's port plan
 * (`ipinfo.go`): the URL's explicit port, else 443 for https, 80 and 443 for http. The probe's
 * endpoints start at once, the helper's own as soon as its depth-0 DNS answers, so the worst case
 * is DNS + max(fetch, connect + TLS), not their sum (docs/helper-protocol.md, "Budget").
 */
export async function measureControl(req: ThRequest, opts: HelperOptions): Promise<ThResponse> {
  const clock = createClock();
  const url = new URL(req.http_request);
  const probeAddrs = req.tcp_connect.flatMap((e) => parseEndpoint(e)?.ip ?? []);
  const ports = url.port !== '' ? [Number(url.port)] : url.protocol === 'https:' ? [443] : [80, 443];
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const signal = AbortSignal.timeout(opts.budgetMs ?? HELPER_MEASUREMENT_BUDGET_MS);
  const checks = new EndpointChecks(host, ports, url.protocol === 'https:', clock, opts, signal);
  checks.start(probeAddrs);
  const m = await measureUrl(url.href, {
    resolver: opts.resolver,
    clock,
    timeouts: opts.timeouts,
    maxBodyBytes: opts.maxBodyBytes,
    // Count every body byte up to the cap but keep only the probe's own cap in memory (limits.ts).
    retainBodyBytes: Math.min(opts.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
    maxRedirects: opts.maxRedirects,
    requestHeaders: forwardableHeaders(req.http_request_headers),
    onDepth0Addresses: (addrs) => {
      checks.start(addrs);
      checks.keepFor(addrs);
    },
    // The fetch's depth-0 connection to an address is the endpoint check's own (same connect, and
    // the same TLS handshake with SNI = host): one connection per endpoint instead of two.
    reuseConnection: (ip, port) => checks.claim(ip, port),
    signal,
    // The control wants the genuine answer, not injected late replies: no 500 ms listening window
    // after the first reply (that window is a probe-side test; oohelperd has none).
    lateReplyWindowMs: 0,
    // The answer carries no certificates (toControlHop keeps each handshake's failure only).
    recordPeerCertificates: false,
    ...(opts.extraCa ? { extraCa: opts.extraCa } : {}),
  });
  const first = m.hops[0];
  const helperAddrs = first?.dns_failure === null ? first.addresses : [];
  checks.start(helperAddrs);
  checks.keepFor([]);
  await checks.done();

  const ipInfo: Record<string, ThIpInfo> = {};
  for (const ip of new Set([...probeAddrs, ...helperAddrs])) {
    ipInfo[ip] = { asn: 0, flags: (probeAddrs.includes(ip) ? 1 : 0) | (helperAddrs.includes(ip) ? 2 : 0) | (isBogon(ip) ? 4 : 0) | (checks.verified.has(ip) ? 8 : 0) };
  }

  const last = m.hops[m.hops.length - 1];
  const final = last?.request?.response ?? null;
  // Nothing dialable (every address a bogon, refused for SSRF): OONI's helper fails such a fetch
  // with dns_bogon_error (legacy `unknown_error`); say so rather than a failure-less -1.
  const refused = last !== undefined && last.failure === null && last.request === null && last.addresses.length > 0;
  const httpFailure = last ? (refused ? 'dns_bogon_error' : last.failure) : 'unknown_failure: no hop measured';
  const http_request: ThResponse['http_request'] =
    final !== null && httpFailure === null
      ? { body_length: final.body_length, discovered_h3_endpoint: '', failure: null, title: final.title, headers: firstValues(final.headers_list), status_code: final.code }
      : { body_length: -1, discovered_h3_endpoint: '', failure: legacyHttpFailure(httpFailure, last?.failed_operation ?? null), title: '', headers: {}, status_code: -1 };

  const dnsFailure = first?.dns_failure ?? null;
  return {
    tcp_connect: checks.tcp,
    tls_handshake: checks.tls,
    quic_handshake: {},
    http_request,
    http3_request: null,
    dns: { failure: legacyDnsFailure(dnsFailure), addrs: dnsFailure === null ? helperAddrs : [] },
    ip_info: ipInfo,
    x_censorprobe: { software: opts.software, hops: m.hops.map(toControlHop) },
  };
}

/**
 * The helper's endpoint checks (TCP, and TLS with SNI = host on port 443) of a set of addresses
 * that grows while the fetch runs: `start` launches the checks of addresses not seen yet (bogons
 * skipped, as oohelperd does), `done` waits for every launched check. Results in OONI's legacy
 * vocabulary; `verified` holds the addresses whose TLS handshake succeeded (ip_info flag 8).
 *
 * A check's connection is what the fetch's depth-0 connect (and, for https on 443, handshake)
 * to the same endpoint would make, so the fetch takes it (`claim`) instead of making a second one
 * (oohelperd makes both; the answer is the same, the site and the helper see half the
 * connections). A check's open connection is kept while it may still be claimed: until `keepFor`
 * names the addresses the fetch dials (its depth-0 DNS answer), and then only for those; `done`
 * closes the ones nobody claimed.
 */
class EndpointChecks {
  readonly tcp: ThResponse['tcp_connect'] = {};
  readonly tls: NonNullable<ThResponse['tls_handshake']> = {};
  readonly verified = new Set<string>();
  private readonly seen = new Set<string>();
  private readonly pending: Promise<void>[] = [];
  /** Each check's connection by endpoint (`IP:PORT`). */
  private readonly made = new Map<string, Promise<ReusedConnection>>();
  /** Open sockets of finished checks, by endpoint, until claimed or closed. */
  private readonly open = new Map<string, net.Socket | tls.TLSSocket>();
  private readonly claimed = new Set<string>();
  /** The addresses the fetch dials at depth 0; null until its DNS answered. */
  private keep: Set<string> | null = null;
  private finished = false;

  constructor(
    private readonly host: string,
    private readonly ports: number[],
    private readonly https: boolean,
    private readonly clock: ReturnType<typeof createClock>,
    private readonly opts: HelperOptions,
    private readonly signal: AbortSignal,
  ) {}

  start(addrs: string[]): void {
    for (const ip of addrs) {
      if (this.seen.has(ip) || isBogon(ip)) continue;
      this.seen.add(ip);
      for (const port of this.ports) {
        const made = this.check(ip, port);
        this.made.set(formatEndpoint(ip, port), made);
        this.pending.push(made.then(() => undefined));
      }
    }
  }

  /** Only the open connections to `addrs` may still be claimed: the others are closed now (and as their checks finish). */
  keepFor(addrs: string[]): void {
    this.keep = new Set(addrs);
    for (const [key, socket] of this.open) {
      const ip = parseEndpoint(key)?.ip;
      if (ip === undefined || !this.keep.has(ip)) this.close(key, socket);
    }
  }

  /**
   * The check's connection to `ip:port` for the fetch, once: null when there is no check of that
   * endpoint or its connection is not what the fetch would make (a plain check on 443 for an http
   * URL, a TCP-only check for https on another port); a promise of null when the check's open
   * connection was closed meanwhile (the fetch then dials its own).
   */
  claim(ip: string, port: number): Promise<ReusedConnection | null> | null {
    const key = formatEndpoint(ip, port);
    const made = this.made.get(key);
    if (made === undefined || this.claimed.has(key) || this.https !== (port === 443)) return null;
    this.claimed.add(key);
    return made.then((m) => {
      this.open.delete(key);
      if (m.socket !== null && (m.socket.destroyed || !m.socket.writable)) {
        m.socket.destroy();
        return null;
      }
      return m;
    });
  }

  async done(): Promise<void> {
    await Promise.all(this.pending);
    this.finished = true;
    for (const [key, socket] of this.open) this.close(key, socket);
  }

  private close(key: string, socket: net.Socket | tls.TLSSocket): void {
    this.open.delete(key);
    socket.destroy();
  }

  private async check(ip: string, port: number): Promise<ReusedConnection> {
    const { clock, opts, host, signal } = this;
    const key = formatEndpoint(ip, port);
    const c = await tcpConnect(ip, port, { clock, timeoutMs: opts.timeouts.connectMs, transactionId: 0, depth: 0, tags: [], signal });
    this.tcp[key] = { status: c.observation.status.success, failure: legacyTcpFailure(c.observation.status.failure) };
    if (c.socket === null) return { connect: c.observation, handshake: null, socket: null };
    if (port !== 443) return this.hold(key, ip, port, { connect: c.observation, handshake: null, socket: c.socket });
    const t = await tlsHandshake(c.socket, {
      serverName: host, clock, timeoutMs: opts.timeouts.tlsMs, transactionId: 0, depth: 0, tags: [], address: key,
      recordPeerCertificates: false, // only the failure is kept
      signal,
      ...(opts.extraCa ? { extraCa: opts.extraCa } : {}),
    });
    this.tls[key] = { server_name: host, status: t.observation.failure === null, failure: t.observation.failure };
    if (t.observation.failure === null) this.verified.add(ip);
    return this.hold(key, ip, port, { connect: c.observation, handshake: t.observation, socket: t.socket });
  }

  /** Keeps the check's open socket while the fetch may claim it; else closes it. */
  private hold(key: string, ip: string, port: number, m: ReusedConnection): ReusedConnection {
    if (m.socket === null) return m;
    const claimable = this.https === (port === 443) && !this.finished && (this.keep === null || this.keep.has(ip));
    if (this.claimed.has(key)) return m; // the fetch is waiting for it
    if (claimable) this.open.set(key, m.socket);
    else m.socket.destroy();
    return m;
  }
}

/** Our per-hop control result from the helper's own flow (failures in our vocabulary). */
function toControlHop(h: HopResult): ControlHop {
  const tcp: ControlHop['tcp_connect'] = {};
  for (const c of h.connects) tcp[c.address] = { status: c.failure === null, failure: c.failure };
  const tlsR: ControlHop['tls_handshake'] = {};
  const sni = new URL(h.url).hostname;
  for (const t of h.tls) tlsR[t.address] = { server_name: sni, status: t.failure === null, failure: t.failure };
  const r = h.request;
  return {
    url: h.url,
    depth: h.depth,
    dns: { failure: h.dns_failure, addrs: h.addresses },
    tcp_connect: tcp,
    tls_handshake: tlsR,
    http_request:
      r === null
        ? null
        : {
            failure: r.failure,
            status_code: r.response?.code ?? -1,
            body_length: r.response?.body_length ?? -1,
            body_is_truncated: r.response?.body_is_truncated ?? false,
            title: r.response?.title ?? '',
            headers: r.response ? firstValues(r.response.headers_list) : {},
            location: h.location,
            goodput_bps: helperGoodput(r),
            // For the throttling attribution (docs/helper-protocol.md, "x_censorprobe"): how long the
            // helper's own fetch of this hop took and how many body bytes it read.
            duration_ms: Math.max(0, Math.round((r.t - r.t0) * 1000)),
            body_bytes: r.response?.body_length ?? 0,
          },
  };
}

/** Body bytes below which the helper reports no goodput (too short to measure a rate). */
const GOODPUT_MIN_BODY_BYTES = 32 * 1024;

/**
 * helperGoodput: 8 × body bytes / (end − first response byte), bits/s, for the attribution rule of
 * the throttling test (docs/throttling.md rule 7: "if the control is also slow, the server is
 * slow"); null for bodies under 32 KiB or without timings.
 */
function helperGoodput(r: HttpRequestObservation): number | null {
  const body = r.response?.body_length ?? 0;
  if (body < GOODPUT_MIN_BODY_BYTES || r.t_first_byte == null || r.t <= r.t_first_byte) return null;
  return Math.round((8 * body) / (r.t - r.t_first_byte));
}

/** Default and largest size of the reference stream, bytes. */
export const REFERENCE_STREAM_DEFAULT_BYTES = 1024 * 1024;
export const REFERENCE_STREAM_MAX_BYTES = 16 * 1024 * 1024;
/** Path of the reference stream on the helper (the throttling test's reference arm, docs/throttling.md). */
export const REFERENCE_STREAM_PATH = '/x/reference-stream';

/**
 * serveReferenceStream answers `GET /x/reference-stream?bytes=N` with 200 and N pseudo-random
 * bytes (application/octet-stream, Content-Length; default 1 MiB, at most 16 MiB; 400 when N is not
 * an integer in 1..16 MiB). The Host header is ignored, so a probe can request the same bytes
 * with the target's Host and with a harmless Host (Host-keyed throttling, docs/throttling.md
 * arm B1). Random bytes defeat compression; one 64 KiB block is reused so the helper spends no CPU.
 */
export function serveReferenceStream(req: http.IncomingMessage, res: http.ServerResponse): void {
  const q = new URL(req.url ?? '/', 'http://helper.invalid').searchParams;
  const n = parseStrictBytes(q, REFERENCE_STREAM_DEFAULT_BYTES, REFERENCE_STREAM_MAX_BYTES);
  if (typeof n === 'string') {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: n }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n, 'cache-control': 'no-store' });
  let left = n;
  const write = (): void => {
    while (left > 0) {
      const chunk = REFERENCE_BLOCK.subarray(0, Math.min(left, REFERENCE_BLOCK.length));
      left -= chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', write);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => {
    left = 0;
  });
  write();
}

const REFERENCE_BLOCK = randomBytes(64 * 1024);
