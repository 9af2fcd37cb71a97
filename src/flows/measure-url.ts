/**
 * measureUrl: the step-by-step measurement of one target URL (OONI Web Connectivity LTE flow,
 * docs/measurement-model.md steps 4-12; dd-003 step-by-step): DNS → for every address in
 * parallel: TCP connect → TLS (https) → ONE connection per depth does the HTTP GET → explicit
 * redirects, each hop from its own DNS on.
 */
import { isIP } from 'node:net';
import {
  dohLookup,
  formatEndpoint,
  httpRoundTrip,
  systemLookup,
  tcpConnect,
  tlsHandshake,
  udpLookup,
  type Clock,
  type GetaddrinfoFn,
  type LookupResult,
} from '../net/index.js';
import { TOO_MANY_REDIRECTS, type Failure, type Operation } from '../model/failure.js';
import { SNI_PROBE_TAG, type HttpRequestObservation, type Observations, type TcpConnectObservation, type TlsHandshakeObservation } from '../model/observations.js';
import { isLoopback, neverDial } from '../model/ip.js';
import { sameDocument } from '../model/refresh.js';
import { createChainCookies, type ChainCookies } from './cookies.js';
import { refreshDeclaration, refreshRedirect, type RedirectKind, type RefreshDeclaration } from './refresh.js';
import { altSvcHttp3, untestedHttp3 } from './variants.js';
import { recordHttpsRecords, startHttpsRecords } from './https-records.js';
import { harmlessNameFor, FIRST_CONNECTION_TRANSACTION_ID, FIRST_DNS_TRANSACTION_ID, REDIRECT_STATUS_CODES, SNI_PROBE_FAILURES } from './defaults.js';
import type net from 'node:net';
import type tls from 'node:tls';

/** The resolver a flow uses: the system's (getaddrinfo), a UDP (Do53) server, or a DoH URL. */
export type ResolverSpec = { kind: 'system' } | { kind: 'udp'; ip: string; port: number } | { kind: 'doh'; url: string };

/**
 * FlowOptions.
 * - `resolver` (required): see {@link ResolverSpec}.
 * - `clock` (required): the measurement clock.
 * - `timeouts` (required): per-step budgets in ms (`dnsMs` per query, `connectMs`, `tlsMs`,
 *   `httpMs` round trip + body); defaults in `defaults.ts`.
 * - `maxBodyBytes` (required): body cap in bytes; `maxRedirects` (required): redirects followed.
 * - `extraCa` (optional): PEM certificates added to the Mozilla roots (TLS and DoH).
 * - `signal` (optional): aborts every pending step (failures `interrupted`).
 * - `onDepth0Addresses` (optional): called once, as soon as depth-0 DNS finishes, with the
 *   addresses ([] on failure); the runner starts the control then.
 * - `dialLoopback` (optional, default false): dial loopback addresses too. Bogons (private,
 *   loopback, 0.0.0.0/8, `::`, ...: `neverDial` in src/model/ip.ts) are never dialled and are
 *   recorded in `observations.x_not_dialled`; ONLY tests on 127.0.0.0/8 set this, and it lets
 *   127.0.0.0/8 and ::1 through (nothing else).
 * - `dialFilter` (optional): extra predicate; addresses for which it returns false are not dialed
 *   (and not recorded).
 * - `requestHeaders` (optional): extra request headers for every hop (the helper forwards the
 *   client's `http_request_headers`); `Cookie` is managed by the flow's jar and never taken from here.
 * - `lateReplyWindowMs` (optional, UDP resolver only, default 500 ms).
 * - `getaddrinfo` (optional, system resolver only): the getaddrinfo seam (tests).
 * - `sniProbeServerName` (optional, default: none = off): after a TLS handshake fails with
 *   `connection_reset`, `eof_error` or `generic_timeout_error`, repeat it ONCE on a fresh
 *   connection to the same address with this harmless SNI (the probe passes
 *   `DEFAULT_SNI_PROBE_SERVER_NAME`, example.org; example.com when the target is under
 *   example.org). Recorded as an extra tcp_connect + tls_handshakes pair tagged `sni_probe` and
 *   `depth=N` (not `classic`, not `fetch_body`: the OONI analysis ignores it); the connect and TLS
 *   timeouts apply; never used to fetch. Skipped for IP-literal hosts (no SNI to compare).
 * - `httpsRecords` (optional, default false): also ask each hop host's DNS HTTPS record (type 65),
 *   beside its A/AAAA lookup and within the same `dnsMs`, through the flow's resolver (UDP or DoH;
 *   for `system`, UDP to the first nameserver of resolv.conf): `observations.x_https_records`, and
 *   `ech` / `h3` it advertises in `x_untested_variants` (src/flows/https-records.ts). Never changes
 *   a hop's outcome; awaited after the hop, so it adds no time unless the hop ends first.
 * - `readResolvConf` (optional, `httpsRecords` with the system resolver): the resolv.conf reader (tests).
 * - `sniProbeFirst` (optional, default false): run that harmless-SNI handshake BEFORE the target's
 *   (the target's TCP connect runs alongside it; its ClientHello waits), on every https hop, so that a censor that keeps resetting an address for a while after a
 *   trigger (residual blocking) cannot make SNI filtering look like IP-level blocking
 *   (docs/throttling.md "Residual blocking"). Costs one extra handshake per address and hop.
 * - `recordPeerCertificates` (optional, default true): false leaves `peer_certificates` and their
 *   summaries empty in the fetch handshakes (net/tls.ts; verification still runs): for the helper,
 *   whose answer carries no certificates.
 * - `reuseConnection` (optional): asked once for each depth-0 endpoint before it is dialled; a
 *   promise of a {@link ReusedConnection} to that `ip:port` makes the endpoint use it (its
 *   observations are recorded as the endpoint's) instead of a connect and handshake of its own;
 *   null, or a promise of null, dials as usual. The helper passes the connection of its endpoint
 *   check of the same address and port (src/control/helper-server.ts). No SNI probe runs on a
 *   reused endpoint.
 */
export interface FlowOptions {
  resolver: ResolverSpec;
  clock: Clock;
  timeouts: { dnsMs: number; connectMs: number; tlsMs: number; httpMs: number };
  maxBodyBytes: number;
  /** Body bytes kept in memory (the rest only counted); default = `maxBodyBytes` (net/http.ts). */
  retainBodyBytes?: number;
  maxRedirects: number;
  extraCa?: string[];
  signal?: AbortSignal;
  onDepth0Addresses?: (addrs: string[]) => void;
  dialLoopback?: boolean;
  dialFilter?: (ip: string) => boolean;
  lateReplyWindowMs?: number;
  getaddrinfo?: GetaddrinfoFn;
  sniProbeServerName?: string | null;
  requestHeaders?: Record<string, string>;
  sniProbeFirst?: boolean;
  httpsRecords?: boolean;
  readResolvConf?: () => Promise<string>;
  recordPeerCertificates?: boolean;
  reuseConnection?: (ip: string, port: number) => Promise<ReusedConnection | null> | null;
}

/**
 * A connection made outside the flow that a depth-0 endpoint may use instead of dialling
 * (FlowOptions.reuseConnection): its connect observation, its TLS handshake observation (https:
 * made with SNI = the URL's host and the flow's defaults; null for http or when the connect failed)
 * and the open socket (null when a step failed). The flow owns the socket from then on.
 */
export interface ReusedConnection {
  connect: TcpConnectObservation;
  handshake: TlsHandshakeObservation | null;
  socket: net.Socket | tls.TLSSocket | null;
}

/**
 * HopResult: the summary of one hop (one URL at one redirect depth). Everything here is also in the
 * flat observations; this is the per-hop view the helper turns into per-hop control results.
 * - `url`: the URL measured at this hop; `depth`: 0 for the input URL.
 * - `addresses`: the resolved addresses in resolver order ([] when DNS failed; the literal for an
 *   IP host), including addresses that were not dialed (bogons, filtered).
 * - `dns_failure`: the lookup failure, or null (also null for IP literals and cache hits of a
 *   successful lookup).
 * - `connects`: one entry per dialed address, `{address: 'IP:PORT', failure}`, resolver order.
 * - `tls`: one entry per handshake (https only), `{address: 'IP:PORT', failure}`, resolver order.
 * - `request`: the HTTP observation of the connection that fetched, or null when none did.
 * - `location`: the absolute redirect target (no fragment) when the response was a redirect with a
 *   usable Location, a Refresh naming another URL (also set, though not followed, when the redirect
 *   budget was exhausted), or a cookie reload: this same URL, when a short refresh of it set a
 *   cookie (once per URL, within the budget; {@link COOKIE_RELOAD_MAX_DELAY_S}).
 * - `failure`: what ended this hop: the DNS failure; else, when no connection could fetch, the
 *   first failure in resolver order of the furthest step reached (TLS failure if some connect
 *   succeeded, else connect failure); else the HTTP failure (including
 *   `http_invalid_redirect_location_host` and TOO_MANY_REDIRECTS). Null on success, and also when
 *   no address was dialable (every address a bogon or filtered: `connects` is then []).
 * - `failed_operation`: `resolve`, `connect`, `tls_handshake` or `http_round_trip`; null with
 *   `failure` null.
 * - `not_dialled`: the addresses never dialled (bogons), resolver order.
 * - `redirect_kind`: how `location` was found (Location header, Refresh header, meta refresh), or
 *   null when there is no `location`.
 */
export interface HopResult {
  url: string;
  depth: number;
  addresses: string[];
  dns_failure: Failure | null;
  connects: { address: string; failure: Failure | null }[];
  tls: { address: string; failure: Failure | null }[];
  request: HttpRequestObservation | null;
  location: string | null;
  failure: Failure | null;
  failed_operation: Operation | null;
  not_dialled: string[];
  redirect_kind: RedirectKind | null;
}

/**
 * UrlMeasurement: all observations (flat, OONI-style; `requests` most recent first as OONI
 * prepends them; `depth` and `transaction_id` tell hops and connections apart) and the hops in
 * order (depth 0 first).
 */
export interface UrlMeasurement {
  observations: Observations;
  hops: HopResult[];
}

/**
 * measureUrl measures `url` (absolute http/https URL) step by step.
 *
 * Per hop: DNS with `opts.resolver` (IP literals skip DNS; a per-measurement cache keyed by
 * hostname is reused across redirects, recording no new queries); every address in parallel
 * (IPv4 and IPv6, bogons never, see `x_not_dialled`): TCP connect to the URL's port, then for
 * https a TLS handshake with SNI = host; when all of the depth's connects/handshakes are done, the
 * first successful one in resolver order performs the GET (the others are closed; simplification
 * of OONI `priority.go`). Redirects (301/302/303/307/308 with Location) are followed up to
 * `maxRedirects`; one more fails with `unknown_failure: stopped after too many redirects`; a
 * Location with an empty host fails with `http_invalid_redirect_location_host`. Each followed hop
 * has depth+1 and Referer = the previous URL. A `Refresh` header or an HTML meta refresh naming
 * another URL is followed the same way, within the same limit (src/flows/refresh.ts). Cookies set
 * by any hop are sent to the later hops as a browser does (src/flows/cookies.ts). Bogon addresses
 * are never dialled (`observations.x_not_dialled`); an `Alt-Svc` advertising HTTP/3, and with
 * `httpsRecords` a DNS HTTPS record advertising ECH or HTTP/3, is recorded in
 * `observations.x_untested_variants`; each followed redirect in `observations.x_redirects`.
 * Transaction ids: DNS lookups 10001+, endpoint flows 40001+ (OONI `idgenerator.go`). Tags:
 * `classic` on every query and endpoint of our (single, primary) resolver, `depth=N`, and
 * `fetch_body=true` on every endpoint flow (all of them are candidates to fetch, as in OONI; the
 * one that fetched is the one with a request of the same transaction id).
 * Never rejects for network failures; throws TypeError on a URL that is not absolute http(s)
 * (programmer error: targets are normalised before).
 */
export async function measureUrl(url: string, opts: FlowOptions): Promise<UrlMeasurement> {
  const first = new URL(url);
  if (first.protocol !== 'http:' && first.protocol !== 'https:') throw new TypeError(`measureUrl: not an http(s) URL: ${url}`);
  const state: FlowState = {
    opts,
    observations: { queries: [], tcp_connect: [], tls_handshakes: [], requests: [], network_events: [] },
    dnsCache: new Map(),
    nextDnsId: FIRST_DNS_TRANSACTION_ID,
    nextConnId: FIRST_CONNECTION_TRANSACTION_ID,
    cookies: createChainCookies(),
    cookieReloads: new Set(),
  };
  const hops: HopResult[] = [];
  let current = stripHash(first);
  let referer: string | undefined;
  for (let depth = 0; ; depth++) {
    const httpsRecords = opts.httpsRecords === true ? startHttpsRecords(state.observations, current, depth, opts) : null;
    const hop = await measureHop(state, current, depth, referer);
    if (httpsRecords !== null) recordHttpsRecords(state.observations, await httpsRecords, current);
    hops.push(hop);
    if (hop.location !== null && hop.redirect_kind !== null) {
      (state.observations.x_redirects ??= []).push({ depth, from: current, to: hop.location, kind: hop.redirect_kind });
    }
    if (hop.failure !== null || hop.location === null) break;
    referer = current;
    current = hop.location;
  }
  state.observations.network_events.sort((a, b) => a.t - b.t);
  return { observations: state.observations, hops };
}

interface FlowState {
  opts: FlowOptions;
  observations: Observations;
  dnsCache: Map<string, { addresses: string[]; failure: Failure | null }>;
  nextDnsId: number;
  nextConnId: number;
  cookies: ChainCookies;
  /** URLs the chain already reloaded for a cookie (at most once each: a page that sets a new cookie on every visit must not loop). */
  cookieReloads: Set<string>;
}

interface Endpoint {
  ip: string;
  address: string;
  transactionId: number;
  connect: TcpConnectObservation | null;
  handshake: TlsHandshakeObservation | null;
  socket: net.Socket | tls.TLSSocket | null;
}

async function measureHop(state: FlowState, url: string, depth: number, referer: string | undefined): Promise<HopResult> {
  const { opts } = state;
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const https = u.protocol === 'https:';
  const port = u.port !== '' ? Number(u.port) : https ? 443 : 80;
  const hop: HopResult = { url, depth, addresses: [], dns_failure: null, connects: [], tls: [], request: null, location: null, failure: null, failed_operation: null, not_dialled: [], redirect_kind: null };
  // Port 0 parses as a URL but cannot be dialed: a (possibly injected) redirect there is a failed
  // connect, never an exception that would end the whole run.
  if (port < 1 || port > 65535) {
    hop.failure = `unknown_failure: invalid port ${port}`;
    hop.failed_operation = 'connect';
    return hop;
  }

  // 1. DNS (or the cache, or the IP literal).
  const dns = await resolve(state, host, depth);
  hop.addresses = dns.addresses;
  hop.dns_failure = dns.failure;
  if (depth === 0) opts.onDepth0Addresses?.(dns.failure === null ? [...dns.addresses] : []);
  if (dns.failure !== null) {
    hop.failure = dns.failure;
    hop.failed_operation = 'resolve';
    return hop;
  }

  // 2. Connect (and handshake) every dialable address in parallel.
  const dialable: string[] = [];
  for (const ip of dns.addresses) {
    const reason = opts.dialLoopback === true && isLoopback(ip) ? null : neverDial(ip);
    if (reason !== null) {
      hop.not_dialled.push(ip);
      (state.observations.x_not_dialled ??= []).push({ ip, port, depth, reason });
    } else if (opts.dialFilter?.(ip) ?? true) {
      dialable.push(ip);
    }
  }
  const tags = ['classic', `depth=${depth}`, 'fetch_body=true'];
  const endpoints: Endpoint[] = dialable.map((ip) => ({ ip, address: formatEndpoint(ip, port), transactionId: state.nextConnId++, connect: null, handshake: null, socket: null }));
  await Promise.all(
    endpoints.map(async (ep) => {
      const reused = depth === 0 ? await (opts.reuseConnection?.(ep.ip, port) ?? null) : null;
      if (reused !== null) {
        ep.connect = reused.connect;
        state.observations.tcp_connect.push(reused.connect);
        state.observations.network_events.push({ operation: 'connect', address: ep.address, failure: reused.connect.status.failure, t: reused.connect.t, transaction_id: reused.connect.transaction_id, tags: [...reused.connect.tags] });
        if (https && reused.handshake !== null) {
          ep.handshake = reused.handshake;
          state.observations.tls_handshakes.push(reused.handshake);
        }
        ep.socket = reused.socket;
        return;
      }
      // The harmless name's handshake goes out before the target's ClientHello (residual
      // blocking); the two TCP connects run side by side, so a dead address costs one connect
      // timeout, not two (p95 time-to-verdict, `npm run bench`).
      const probeFirst = https && opts.sniProbeFirst === true;
      const probed = probeFirst ? sniProbe(state, ep.ip, port, depth, host) : Promise.resolve();
      const c = await tcpConnect(ep.ip, port, { clock: opts.clock, timeoutMs: opts.timeouts.connectMs, transactionId: ep.transactionId, depth, tags, ...signalOf(opts) });
      ep.connect = c.observation;
      state.observations.tcp_connect.push(c.observation);
      state.observations.network_events.push({ operation: 'connect', address: ep.address, failure: c.observation.status.failure, t: c.observation.t, transaction_id: ep.transactionId, tags: [...tags] });
      if (c.socket === null) {
        await probed;
        return;
      }
      if (!https) {
        ep.socket = c.socket;
        return;
      }
      await probed;
      const t = await tlsHandshake(c.socket, {
        serverName: host,
        clock: opts.clock,
        timeoutMs: opts.timeouts.tlsMs,
        transactionId: ep.transactionId,
        depth,
        tags,
        address: ep.address,
        ...(opts.extraCa !== undefined ? { extraCa: opts.extraCa } : {}),
        ...(opts.recordPeerCertificates === false ? { recordPeerCertificates: false } : {}),
        ...signalOf(opts),
      });
      ep.handshake = t.observation;
      state.observations.tls_handshakes.push(t.observation);
      ep.socket = t.socket;
      if (!probeFirst && t.observation.failure !== null && SNI_PROBE_FAILURES.has(t.observation.failure)) await sniProbe(state, ep.ip, port, depth, host);
    }),
  );
  hop.connects = endpoints.map((ep) => ({ address: ep.address, failure: ep.connect?.status.failure ?? null }));
  if (https) hop.tls = endpoints.filter((ep) => ep.handshake !== null).map((ep) => ({ address: ep.address, failure: ep.handshake?.failure ?? null }));
  if (endpoints.length === 0) return hop;

  // 3. The first ready connection in resolver order fetches; the others are closed.
  const winner = endpoints.find((ep) => ep.socket !== null);
  for (const ep of endpoints) if (ep !== winner) ep.socket?.destroy();
  if (winner === undefined || winner.socket === null) {
    const tlsFailure = endpoints.find((ep) => ep.handshake?.failure != null)?.handshake?.failure ?? null;
    if (https && tlsFailure !== null) {
      hop.failure = tlsFailure;
      hop.failed_operation = 'tls_handshake';
    } else {
      hop.failure = endpoints.find((ep) => ep.connect?.status.failure != null)?.connect?.status.failure ?? null;
      hop.failed_operation = hop.failure === null ? null : 'connect';
    }
    return hop;
  }

  // 4. HTTP GET, with the chain's cookies.
  const headers = requestHeadersFor(state, url);
  const cookieSent = state.cookies.headerFor(url);
  const r = await httpRoundTrip(winner.socket, {
    url,
    address: winner.address,
    ...(referer !== undefined ? { referer } : {}),
    ...(headers !== null ? { headers } : {}),
    maxBodyBytes: opts.maxBodyBytes,
    ...(opts.retainBodyBytes !== undefined ? { retainBodyBytes: opts.retainBodyBytes } : {}),
    clock: opts.clock,
    timeoutMs: opts.timeouts.httpMs,
    transactionId: winner.transactionId,
    depth,
    tags,
    ...signalOf(opts),
  });
  const request = r.observation;
  state.observations.network_events.push(...r.events);
  if (request.response !== null) {
    state.cookies.store(url, request.response.headers_list);
    const h3 = altSvcHttp3(request.response.headers_list);
    if (h3 !== null) (state.observations.x_untested_variants ??= []).push(untestedHttp3(h3, depth, url));
  }

  // 5. Redirect? (Location on a 3xx; else a Refresh header or meta refresh naming another URL, or
  // reloading this one with a cookie the response just set: a cookie interstitial.)
  const redirect = request.failure === null ? redirectOf(request, r.body) : null;
  // A cookie reload happens once per URL and only within the redirect budget; otherwise this page
  // is the final one (never a failure: the page itself was fetched). The cheap tests go first: the
  // refresh is looked for only when the response changed the cookie.
  const cookieReload = (): RefreshDeclaration | null =>
    depth < opts.maxRedirects && !state.cookieReloads.has(url) && cookieSent !== state.cookies.headerFor(url) ? shortRefresh(request, r.body) : null;
  if (redirect !== null) {
    const next = resolveLocation(redirect.target, url);
    if ('failure' in next) {
      // A broken Refresh is ignored, as browsers do; a broken Location fails the hop (OONI).
      if (redirect.kind === 'location') request.failure = next.failure;
    } else if (redirect.kind === 'location' || !sameDocument(next.url, url)) {
      hop.location = next.url;
      hop.redirect_kind = redirect.kind;
      if (depth >= opts.maxRedirects) request.failure = TOO_MANY_REDIRECTS;
    } else if (cookieReload() !== null) {
      state.cookieReloads.add(url);
      hop.location = url;
      hop.redirect_kind = redirect.kind;
    }
  } else if (request.failure === null) {
    const reload = cookieReload();
    if (reload !== null) {
      state.cookieReloads.add(url);
      hop.location = url;
      hop.redirect_kind = reload.kind;
    }
  }
  state.observations.requests.unshift(request);
  hop.request = request;
  if (request.failure !== null) {
    hop.failure = request.failure;
    hop.failed_operation = 'http_round_trip';
  }
  return hop;
}

/**
 * sniProbe repeats a failed handshake once, on a fresh connection to `ip:port`, with the harmless
 * SNI (see FlowOptions.sniProbeServerName). The observations are tagged `sni_probe`; the socket is
 * always closed.
 */
async function sniProbe(state: FlowState, ip: string, port: number, depth: number, host: string): Promise<void> {
  const { opts } = state;
  const name = opts.sniProbeServerName;
  if (name === undefined || name === null || isIP(host) !== 0) return;
  const harmless = harmlessNameFor(host, name);
  const transactionId = state.nextConnId++;
  const tags = [SNI_PROBE_TAG, `depth=${depth}`];
  const c = await tcpConnect(ip, port, { clock: opts.clock, timeoutMs: opts.timeouts.connectMs, transactionId, depth, tags, ...signalOf(opts) });
  state.observations.tcp_connect.push(c.observation);
  if (c.socket === null) return;
  const t = await tlsHandshake(c.socket, {
    serverName: harmless,
    clock: opts.clock,
    timeoutMs: opts.timeouts.tlsMs,
    transactionId,
    depth,
    tags,
    address: formatEndpoint(ip, port),
    ...(opts.extraCa !== undefined ? { extraCa: opts.extraCa } : {}),
    ...signalOf(opts),
  });
  state.observations.tls_handshakes.push(t.observation);
  t.socket?.destroy();
}

async function resolve(state: FlowState, host: string, depth: number): Promise<{ addresses: string[]; failure: Failure | null }> {
  if (isIP(host) !== 0) return { addresses: [host], failure: null };
  const cached = state.dnsCache.get(host);
  if (cached !== undefined) return cached;
  const { opts } = state;
  const common = { clock: opts.clock, timeoutMs: opts.timeouts.dnsMs, transactionId: state.nextDnsId++, depth, tags: ['classic'], ...signalOf(opts) };
  let result: LookupResult;
  switch (opts.resolver.kind) {
    case 'system':
      result = await systemLookup(host, { ...common, ...(opts.getaddrinfo !== undefined ? { getaddrinfo: opts.getaddrinfo } : {}) });
      break;
    case 'udp':
      result = await udpLookup(host, { ...common, server: { ip: opts.resolver.ip, port: opts.resolver.port }, ...(opts.lateReplyWindowMs !== undefined ? { lateReplyWindowMs: opts.lateReplyWindowMs } : {}) });
      break;
    case 'doh':
      result = await dohLookup(host, { ...common, url: opts.resolver.url, ...(opts.extraCa !== undefined ? { extraCa: opts.extraCa } : {}) });
      break;
  }
  state.observations.queries.push(...result.observations);
  const entry = { addresses: result.addresses, failure: result.failure };
  state.dnsCache.set(host, entry);
  return entry;
}

function signalOf(opts: FlowOptions): { signal?: AbortSignal } {
  return opts.signal !== undefined ? { signal: opts.signal } : {};
}

/** The extra request headers of a hop: the caller's (`requestHeaders`), then the chain's Cookie. */
function requestHeadersFor(state: FlowState, url: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(state.opts.requestHeaders ?? {})) if (k.toLowerCase() !== 'cookie') out[k] = v;
  const cookie = state.cookies.headerFor(url);
  if (cookie !== null) out['Cookie'] = cookie;
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * The redirect a response asks for: Location on a redirect status (REDIRECT_STATUS_CODES), else a
 * Refresh header or an HTML meta refresh (src/flows/refresh.ts). Null when none.
 */
function redirectOf(request: HttpRequestObservation, body: Buffer): { target: string; kind: RedirectKind } | null {
  const res = request.response;
  if (res === null) return null;
  if (REDIRECT_STATUS_CODES.has(res.code)) {
    const location = headerValue(res.headers_list, 'location');
    return location !== null ? { target: location, kind: 'location' } : null;
  }
  // The body as text: the observation keeps valid UTF-8 as text; other bytes are read as latin1
  // (the meta tag is ASCII either way).
  const text = typeof res.body === 'string' ? res.body : body.toString('latin1');
  return refreshRedirect(res.headers_list, headerValue(res.headers_list, 'content-type'), text);
}

/**
 * Longest refresh delay, s, whose reload of the same URL the flow follows when the response set a
 * cookie: an interstitial ("checking your browser": Set-Cookie and a refresh of 0-5 s) sends the
 * browser back at once with the cookie, so what the visitor sees is the next page; a page that
 * refreshes itself every minute or more is read as it is.
 */
export const COOKIE_RELOAD_MAX_DELAY_S = 10;

/**
 * The refresh a response (not a 3xx) declares within {@link COOKIE_RELOAD_MAX_DELAY_S}, read from
 * its headers and body text (src/flows/refresh.ts), or null.
 */
function shortRefresh(request: HttpRequestObservation, body: Buffer): RefreshDeclaration | null {
  const res = request.response;
  if (res === null || REDIRECT_STATUS_CODES.has(res.code)) return null;
  const text = typeof res.body === 'string' ? res.body : body.toString('latin1');
  const d = refreshDeclaration(res.headers_list, headerValue(res.headers_list, 'content-type'), text);
  return d !== null && d.delaySeconds <= COOKIE_RELOAD_MAX_DELAY_S ? d : null;
}

function headerValue(list: [string, string][], name: string): string | null {
  const lower = name.toLowerCase();
  return list.find(([k]) => k.toLowerCase() === lower)?.[1] ?? null;
}

function stripHash(u: URL): string {
  const copy = new URL(u.href);
  copy.hash = '';
  return copy.href;
}

/**
 * resolveLocation turns a Location header into the next absolute URL, as Go's `resp.Location()`
 * does: an absolute http(s) Location whose authority has an empty host (`http://`, `https:///x`,
 * `http:/x`) → http_invalid_redirect_location_host (OONI issue #2628); another scheme or an
 * unparsable value → unknown_failure.
 */
function resolveLocation(location: string, base: string): { url: string } | { failure: Failure } {
  const abs = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(location.trim());
  if (abs !== null) {
    const scheme = (abs[1] ?? '').toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') return { failure: `unknown_failure: unsupported redirect location scheme '${scheme}'` };
    const rest = abs[2] ?? '';
    const authority = rest.startsWith('//') ? (rest.slice(2).split(/[/?#]/)[0] ?? '') : '';
    const hostPart = authority.replace(/^.*@/, '').replace(/:\d*$/, '');
    if (hostPart === '' || hostPart === '[]') return { failure: 'http_invalid_redirect_location_host' };
  }
  try {
    return { url: stripHash(new URL(location.trim(), base)) };
  } catch {
    return { failure: 'unknown_failure: invalid redirect location' };
  }
}
