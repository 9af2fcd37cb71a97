/**
 * Baseline checks (peers-and-methods 5.2 "Canary set"): well-known international anycast
 * endpoints and resolvers, captive-portal URLs, the system resolver, optional domestic sites and
 * the control helper. Each check is one primitive with a short timeout; checks never throw for
 * network failures.
 */
import { isIP } from 'node:net';
import type { BaselineResult, BaselineRound, BaselineScope } from '../model/index.js';
import { createClock, systemLookup, tcpConnect, udpLookup } from '../net/index.js';
import { measureUrl } from '../flows/index.js';
import { decideVantage } from './state.js';

/** A parsed baseline check. */
export type BaselineCheck =
  | { kind: 'tcp'; spec: string; scope: BaselineScope; ip: string; port: number }
  | { kind: 'dns'; spec: string; scope: BaselineScope; ip: string; port: number; name: string }
  | { kind: 'system-dns'; spec: string; scope: BaselineScope; name: string }
  | { kind: 'http'; spec: string; scope: BaselineScope; url: string };

/**
 * The default checks: three international anycast TCP endpoints (Cloudflare, Google, Quad9 on
 * 443), two public resolvers over UDP, two captive-portal URLs (Android's generate_204, Apple's
 * hotspot page) and the system resolver (local scope: it is the ISP's or the router's). The helper
 * is added by the runner when one is configured; domestic sites are added with `domestic:`.
 */
export const DEFAULT_BASELINES: readonly string[] = Object.freeze([
  'tcp://1.1.1.1:443',
  'tcp://8.8.8.8:443',
  'tcp://9.9.9.9:443',
  'dns://8.8.8.8/www.google.com',
  'dns://1.1.1.1/www.google.com',
  'http://connectivitycheck.gstatic.com/generate_204',
  'http://captive.apple.com/hotspot-detect.html',
  'system-dns:www.google.com',
]);

/** Default timeout of one check, ms (short: a round must not delay the run much). */
export const DEFAULT_BASELINE_TIMEOUT_MS = 4000;

/** A port of a baseline spec, 1-65535; throws with the spec otherwise. */
function checkPort(spec: string, port: number): number {
  if (port < 1 || port > 65535) throw new Error(`baseline '${spec}': port ${port} is out of range (1-65535)`);
  return port;
}

/**
 * parseBaseline parses one check: `tcp://IP:PORT`, `dns://IP[:PORT]/NAME` (UDP query),
 * `system-dns:NAME` (getaddrinfo; scope local), `http(s)://URL` (any HTTP response counts), each
 * optionally prefixed `domestic:` (scope domestic; default international). Throws an Error whose
 * message says what is wrong (the CLI turns it into a usage error).
 */
export function parseBaseline(text: string): BaselineCheck {
  const spec = text.trim();
  let rest = spec;
  let scope: BaselineScope = 'international';
  if (rest.startsWith('domestic:')) {
    scope = 'domestic';
    rest = rest.slice('domestic:'.length);
  }
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d{1,5})$/.exec(rest);
  if (tcp) {
    const ip = (tcp[1] as string).replace(/^\[|\]$/g, '');
    if (isIP(ip) === 0) throw new Error(`baseline '${spec}': '${ip}' is not an IP address`);
    return { kind: 'tcp', spec, scope, ip, port: checkPort(spec, Number(tcp[2])) };
  }
  const dns = /^dns:\/\/(\[[0-9a-fA-F:.]+\]|[0-9.]+)(?::(\d{1,5}))?\/([A-Za-z0-9.-]+)$/.exec(rest);
  if (dns) {
    const ip = (dns[1] as string).replace(/^\[|\]$/g, '');
    if (isIP(ip) === 0) throw new Error(`baseline '${spec}': '${ip}' is not an IP address`);
    return { kind: 'dns', spec, scope, ip, port: dns[2] !== undefined ? checkPort(spec, Number(dns[2])) : 53, name: dns[3] as string };
  }
  const sys = /^system-dns:([A-Za-z0-9.-]+)$/.exec(rest);
  if (sys) return { kind: 'system-dns', spec, scope: scope === 'domestic' ? 'domestic' : 'local', name: sys[1] as string };
  if (/^https?:\/\//.test(rest)) {
    try {
      return { kind: 'http', spec, scope, url: new URL(rest).href };
    } catch {
      throw new Error(`baseline '${spec}': not a valid URL`);
    }
  }
  throw new Error(`baseline '${spec}': expected tcp://IP:PORT, dns://IP[:PORT]/NAME, system-dns:NAME or an http(s) URL, optionally prefixed domestic:`);
}

/** Options of {@link runBaselineRound}: per-check timeout (ms), extra CAs for https checks, abort signal. */
export interface BaselineRoundOptions {
  timeoutMs?: number;
  extraCa?: string[];
  signal?: AbortSignal;
  /** Clock for `time` (tests); default `new Date()`. */
  now?: () => Date;
  /** Let HTTP checks dial loopback addresses (tests on 127.0.0.0/8 only); default false. */
  dialLoopback?: boolean;
}

/**
 * runBaselineRound runs every check in parallel and decides the vantage state
 * ({@link decideVantage}). A check succeeds when the network answered: a TCP connect that succeeded
 * or was refused (a host replied), a DNS reply of any rcode, any HTTP response (or, for an HTTP
 * check, a refusal or an NXDOMAIN from the system resolver). Timeouts and unreachable
 * networks/hosts are failures.
 */
export async function runBaselineRound(checks: readonly BaselineCheck[], when: BaselineRound['when'], opts: BaselineRoundOptions = {}): Promise<BaselineRound> {
  const time = (opts.now ?? (() => new Date()))().toISOString();
  const results = await Promise.all(checks.map((c) => runCheck(c, opts)));
  const { state, reason } = decideVantage(results);
  return { when, time, state, reason, results };
}

const ANSWERED_DNS = new Set(['dns_nxdomain_error', 'dns_no_answer', 'dns_servfail_error', 'dns_refused_error']);

async function runCheck(c: BaselineCheck, opts: BaselineRoundOptions): Promise<BaselineResult> {
  const clock = createClock();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_BASELINE_TIMEOUT_MS;
  const signal = opts.signal !== undefined ? { signal: opts.signal } : {};
  const common = { clock, timeoutMs, transactionId: 1, depth: 0, tags: ['baseline'], ...signal };
  let ok = false;
  let failure: string | null = null;
  switch (c.kind) {
    case 'tcp': {
      const r = await tcpConnect(c.ip, c.port, common);
      r.socket?.destroy();
      failure = r.observation.status.failure;
      ok = failure === null || failure === 'connection_refused';
      break;
    }
    case 'dns': {
      const r = await udpLookup(c.name, { ...common, server: { ip: c.ip, port: c.port }, lateReplyWindowMs: 0 });
      failure = r.failure;
      ok = failure === null || ANSWERED_DNS.has(failure);
      break;
    }
    case 'system-dns': {
      const r = await systemLookup(c.name, common);
      failure = r.failure;
      ok = failure === null || failure === 'dns_nxdomain_error';
      break;
    }
    case 'http': {
      const m = await measureUrl(c.url, {
        resolver: { kind: 'system' },
        clock,
        timeouts: { dnsMs: timeoutMs, connectMs: timeoutMs, tlsMs: timeoutMs, httpMs: timeoutMs },
        maxBodyBytes: 16 * 1024,
        maxRedirects: 0,
        ...(opts.dialLoopback === true ? { dialLoopback: true } : {}),
        ...(opts.extraCa !== undefined && opts.extraCa.length > 0 ? { extraCa: opts.extraCa } : {}),
        ...signal,
      });
      const hop = m.hops[0];
      failure = hop?.request?.response != null ? null : (hop?.failure ?? 'unknown_failure: no response');
      // The network answered: a response, a refusal, or a resolver that said NXDOMAIN (DNS
      // interference with a captive-portal name is not an outage).
      ok = failure === null || failure === 'connection_refused' || failure === 'dns_nxdomain_error';
      break;
    }
  }
  return { check: c.spec, scope: c.scope, ok, failure, duration_ms: Math.round(clock.now() * 1e4) / 10 };
}
