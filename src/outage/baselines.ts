/**
 * Baseline checks (docs/network-state.md section 1): well-known
 * international services, the public resolvers, captive-portal URLs and the system resolver. A check
 * passes only when it gets the answer the real service gives (a verified TLS handshake, public
 * addresses for a stable name, the exact captive-portal success page): a network that "answered
 * something" (a local proxy accepting every connect, an NXDOMAIN, a login redirect) is not the
 * internet. Each check is one primitive with a short timeout; checks never throw for network
 * failures.
 */
import { isIP } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BaselineResult, BaselineRound, BaselineScope } from '../model/index.js';
import { createClock, systemLookup, tcpConnect, tlsHandshake, udpLookup, formatEndpoint } from '../net/index.js';
import { measureUrl } from '../flows/index.js';
import { isBogon } from '../model/ip.js';
import { decideVantage } from './state.js';

/** A parsed baseline check. `resolver`: the check targets a public resolver's address. */
export type BaselineCheck =
  | { kind: 'tcp'; spec: string; scope: BaselineScope; ip: string; port: number; resolver: boolean }
  | { kind: 'tls'; spec: string; scope: BaselineScope; ip: string; port: number; name: string; resolver: boolean }
  | { kind: 'dns'; spec: string; scope: BaselineScope; ip: string; port: number; name: string; resolver: boolean }
  | { kind: 'system-dns'; spec: string; scope: BaselineScope; name: string; resolver: false }
  | { kind: 'http'; spec: string; scope: BaselineScope; url: string; expect: HttpExpectation | null; resolver: false };

/** What a known HTTP check must return: a status and, optionally, an exact body or a body that contains a text. */
export interface HttpExpectation {
  status: number;
  /** The body must be exactly this (e.g. '' for generate_204). */
  body?: string;
  /** The body must contain this text (case-sensitive). */
  contains?: string;
}

/**
 * The answers of the well-known captive-portal check URLs (docs/network-state.md): Android's
 * `generate_204` returns 204 with an empty body (AOSP `NetworkMonitor`, `captive_portal_http_url`
 * and `captive_portal_https_url`); Apple's `hotspot-detect.html` returns 200 with the page
 * `<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>`.
 */
export function expectationFor(url: string): HttpExpectation | null {
  const u = new URL(url);
  if (u.pathname === '/generate_204' || u.pathname === '/gen_204') return { status: 204, body: '' };
  if (u.hostname === 'captive.apple.com' || u.pathname === '/hotspot-detect.html') return { status: 200, contains: '<TITLE>Success</TITLE>' };
  return null;
}

/** The public resolvers' addresses (Cloudflare, Google, Quad9): checks to them test the resolvers, not the network. */
export const PUBLIC_RESOLVER_ADDRESSES: ReadonlySet<string> = new Set(['1.1.1.1', '1.0.0.1', '8.8.8.8', '8.8.4.4', '9.9.9.9', '149.112.112.112']);

/**
 * The default checks (docs/network-state.md): verified TLS handshakes with the three anycast
 * resolvers under their certificate names (a proxy that accepts every connect fails them), two
 * public resolvers over UDP for stable names, Android's `generate_204` and Apple's hotspot page
 * over HTTP (captive portals alter them) and Apple's over HTTPS (rarely blocked anywhere: a
 * port-443 check that is not a resolver), and the system resolver for two stable names (local
 * scope: it is the ISP's or the router's).
 */
export const DEFAULT_BASELINES: readonly string[] = Object.freeze([
  'tls://1.1.1.1:443/one.one.one.one',
  'tls://8.8.8.8:443/dns.google',
  'tls://9.9.9.9:443/dns.quad9.net',
  'dns://8.8.8.8/connectivitycheck.gstatic.com',
  'dns://1.1.1.1/captive.apple.com',
  'http://connectivitycheck.gstatic.com/generate_204',
  'http://captive.apple.com/hotspot-detect.html',
  'https://captive.apple.com/hotspot-detect.html',
  'system-dns:connectivitycheck.gstatic.com',
  'system-dns:captive.apple.com',
]);

/** Default timeout of one check, ms (short: a round must not delay the run much). */
export const DEFAULT_BASELINE_TIMEOUT_MS = 4000;

/** A port of a baseline spec, 1-65535; throws with the spec otherwise. */
function checkPort(spec: string, port: number): number {
  if (port < 1 || port > 65535) throw new Error(`baseline '${spec}': port ${port} is out of range (1-65535)`);
  return port;
}

const ADDR = '(\\[[0-9a-fA-F:.]+\\]|[0-9.]+)';
const NAME = '([A-Za-z0-9.-]+)';

/**
 * parseBaseline parses one check: `tcp://IP:PORT` (a completed connect), `tls://IP[:PORT]/NAME`
 * (a verified TLS handshake with SNI NAME, port 443 by default), `dns://IP[:PORT]/NAME` (UDP
 * query; public addresses expected), `system-dns:NAME` (getaddrinfo; public addresses expected;
 * scope local), `http(s)://URL` (the known answer for the captive-portal URLs, any HTTP response
 * otherwise), each optionally prefixed `domestic:` (scope domestic; default international).
 * Throws an Error whose message says what is wrong (the CLI turns it into a usage error).
 */
export function parseBaseline(text: string): BaselineCheck {
  const spec = text.trim();
  let rest = spec;
  let scope: BaselineScope = 'international';
  if (rest.startsWith('domestic:')) {
    scope = 'domestic';
    rest = rest.slice('domestic:'.length);
  }
  const ipOf = (raw: string): string => {
    const ip = raw.replace(/^\[|\]$/g, '');
    if (isIP(ip) === 0) throw new Error(`baseline '${spec}': '${ip}' is not an IP address`);
    return ip;
  };
  const tcp = new RegExp(`^tcp://${ADDR}:(\\d{1,5})$`).exec(rest);
  if (tcp) {
    const ip = ipOf(tcp[1] as string);
    return { kind: 'tcp', spec, scope, ip, port: checkPort(spec, Number(tcp[2])), resolver: PUBLIC_RESOLVER_ADDRESSES.has(ip) };
  }
  const tls = new RegExp(`^tls://${ADDR}(?::(\\d{1,5}))?/${NAME}$`).exec(rest);
  if (tls) {
    const ip = ipOf(tls[1] as string);
    return { kind: 'tls', spec, scope, ip, port: tls[2] !== undefined ? checkPort(spec, Number(tls[2])) : 443, name: tls[3] as string, resolver: PUBLIC_RESOLVER_ADDRESSES.has(ip) };
  }
  const dns = new RegExp(`^dns://${ADDR}(?::(\\d{1,5}))?/${NAME}$`).exec(rest);
  if (dns) {
    const ip = ipOf(dns[1] as string);
    return { kind: 'dns', spec, scope, ip, port: dns[2] !== undefined ? checkPort(spec, Number(dns[2])) : 53, name: dns[3] as string, resolver: PUBLIC_RESOLVER_ADDRESSES.has(ip) };
  }
  const sys = new RegExp(`^system-dns:${NAME}$`).exec(rest);
  if (sys) return { kind: 'system-dns', spec, scope: scope === 'domestic' ? 'domestic' : 'local', name: sys[1] as string, resolver: false };
  if (/^https?:\/\//.test(rest)) {
    let url: string;
    try {
      url = new URL(rest).href;
    } catch {
      throw new Error(`baseline '${spec}': not a valid URL`);
    }
    return { kind: 'http', spec, scope, url, expect: expectationFor(url), resolver: false };
  }
  throw new Error(`baseline '${spec}': expected tcp://IP:PORT, tls://IP[:PORT]/NAME, dns://IP[:PORT]/NAME, system-dns:NAME or an http(s) URL, optionally prefixed domestic:`);
}

/** Options of {@link runBaselineRound}: per-check timeout (ms), extra CAs for TLS checks, abort signal. */
export interface BaselineRoundOptions {
  timeoutMs?: number;
  extraCa?: string[];
  signal?: AbortSignal;
  /** Clock for `time` (tests); default `new Date()`. */
  now?: () => Date;
  /** Let HTTP checks dial loopback addresses (tests on 127.0.0.0/8 only); default false. */
  dialLoopback?: boolean;
  /** Let DNS checks accept loopback answers (tests on 127.0.0.0/8 only); default false. */
  acceptLoopbackAnswers?: boolean;
}

/**
 * runBaselineRound runs every check in parallel and decides the vantage state
 * ({@link decideVantage}). It also records the largest delay of the probe's own event loop during
 * the round (`loop_delay_ms`, from `perf_hooks.monitorEventLoopDelay`), so that a round slowed by
 * the probe itself is not read as a slow network.
 */
export async function runBaselineRound(checks: readonly BaselineCheck[], when: BaselineRound['when'], opts: BaselineRoundOptions = {}): Promise<BaselineRound> {
  const time = (opts.now ?? (() => new Date()))().toISOString();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let results: BaselineResult[];
  try {
    results = await Promise.all(checks.map((c) => runCheck(c, opts)));
  } finally {
    loop.disable();
  }
  const loopDelayMs = Number.isFinite(loop.max) && loop.max > 0 ? Math.round(loop.max / 1e5) / 10 : 0;
  const { state, reason } = decideVantage(results, { loopDelayMs });
  return { when, time, state, reason, results, loop_delay_ms: loopDelayMs };
}

/** Addresses that cannot be a public service's: a resolver returning them for a stable name is broken or captive. */
function wrongAddresses(addrs: readonly string[], opts: BaselineRoundOptions): string[] {
  return addrs.filter((a) => isBogon(a) && !(opts.acceptLoopbackAnswers === true && (a.startsWith('127.') || a === '::1')));
}

/** The outcome of a name lookup check: public addresses pass; NXDOMAIN, no answer or a bogon fail (altered: a resolver answered wrongly). */
function lookupOutcome(failure: string | null, addrs: readonly string[], opts: BaselineRoundOptions): Pick<BaselineResult, 'ok' | 'failure' | 'altered' | 'detail'> {
  if (failure !== null) {
    const answered = failure === 'dns_nxdomain_error' || failure === 'dns_no_answer' || failure === 'dns_refused_error' || failure === 'dns_servfail_error';
    return { ok: false, failure, ...(answered ? { altered: true } : {}) };
  }
  const bad = wrongAddresses(addrs, opts);
  if (addrs.length === 0) return { ok: false, failure: 'dns_no_answer', altered: true };
  if (bad.length > 0) return { ok: false, failure: 'dns_bogon_error', altered: true, detail: `answered ${bad.slice(0, 2).join(', ')}` };
  return { ok: true, failure: null };
}

async function runCheck(c: BaselineCheck, opts: BaselineRoundOptions): Promise<BaselineResult> {
  const clock = createClock();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_BASELINE_TIMEOUT_MS;
  const signal = opts.signal !== undefined ? { signal: opts.signal } : {};
  const common = { clock, timeoutMs, transactionId: 1, depth: 0, tags: ['baseline'], ...signal };
  let out: Pick<BaselineResult, 'ok' | 'failure' | 'altered' | 'detail'>;
  let port: number | undefined;
  switch (c.kind) {
    case 'tcp': {
      port = c.port;
      const r = await tcpConnect(c.ip, c.port, common);
      r.socket?.destroy();
      out = { ok: r.observation.status.failure === null, failure: r.observation.status.failure };
      break;
    }
    case 'tls': {
      port = c.port;
      const r = await tcpConnect(c.ip, c.port, common);
      if (r.socket === null) {
        out = { ok: false, failure: r.observation.status.failure ?? 'unknown_failure: no socket' };
        break;
      }
      const h = await tlsHandshake(r.socket, {
        ...common,
        serverName: c.name,
        address: formatEndpoint(c.ip, c.port),
        recordPeerCertificates: false,
        ...(opts.extraCa !== undefined && opts.extraCa.length > 0 ? { extraCa: opts.extraCa } : {}),
      });
      h.socket?.destroy();
      r.socket.destroy();
      const failure = h.observation.failure;
      // The connect worked: whatever failed after it (a bad certificate, a reset, a close) was
      // something other than the real service answering.
      out = failure === null ? { ok: true, failure: null } : { ok: false, failure, altered: true, detail: `connected, but no verified TLS handshake as ${c.name}` };
      break;
    }
    case 'dns': {
      port = c.port;
      const r = await udpLookup(c.name, { ...common, server: { ip: c.ip, port: c.port }, lateReplyWindowMs: 0 });
      out = lookupOutcome(r.failure, r.addresses, opts);
      break;
    }
    case 'system-dns': {
      const r = await systemLookup(c.name, common);
      out = lookupOutcome(r.failure, r.addresses, opts);
      break;
    }
    case 'http': {
      const u = new URL(c.url);
      port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      out = await httpCheck(c, timeoutMs, clock, opts);
      break;
    }
  }
  return {
    check: c.spec,
    scope: c.scope,
    ...out,
    ok: out.ok,
    failure: out.failure,
    duration_ms: Math.round(clock.now() * 1e4) / 10,
    kind: c.kind,
    ...(port !== undefined ? { port } : {}),
    resolver: c.resolver,
  };
}

async function httpCheck(c: Extract<BaselineCheck, { kind: 'http' }>, timeoutMs: number, clock: ReturnType<typeof createClock>, opts: BaselineRoundOptions): Promise<Pick<BaselineResult, 'ok' | 'failure' | 'altered' | 'detail'>> {
  const m = await measureUrl(c.url, {
    resolver: { kind: 'system' },
    clock,
    timeouts: { dnsMs: timeoutMs, connectMs: timeoutMs, tlsMs: timeoutMs, httpMs: timeoutMs },
    maxBodyBytes: 16 * 1024,
    maxRedirects: 0,
    ...(opts.dialLoopback === true ? { dialLoopback: true } : {}),
    ...(opts.extraCa !== undefined && opts.extraCa.length > 0 ? { extraCa: opts.extraCa } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
  const hop = m.hops[0];
  const response = hop?.request?.response ?? null;
  if (response == null) {
    const failure = hop?.failure ?? 'unknown_failure: no response';
    // A resolver that says the check's name does not exist, or points it at a bogon, answered wrongly.
    const dnsWrong = failure === 'dns_nxdomain_error' || failure === 'dns_no_answer' || failure === 'dns_bogon_error';
    const tlsWrong = failure.startsWith('ssl_');
    return { ok: false, failure, ...(dnsWrong || tlsWrong ? { altered: true } : {}) };
  }
  const e = c.expect;
  if (e === null) return { ok: true, failure: null };
  const body = typeof response.body === 'string' ? response.body : '';
  const location = response.headers['Location'] ?? response.headers['location'];
  const what = `HTTP ${response.code}${location !== undefined ? ` to ${location.slice(0, 120)}` : ''}, ${response.body_length} bytes`;
  const bodyOk = (e.body === undefined || (body === e.body && response.body_length === e.body.length)) && (e.contains === undefined || body.includes(e.contains));
  if (response.code === e.status && bodyOk) return { ok: true, failure: null };
  return { ok: false, failure: 'unknown_failure: unexpected answer', altered: true, detail: what };
}
