/**
 * The per-hop view our verdict walks: for each redirect depth, the probe's primary lookups and
 * their addresses, the fetch endpoints, the addresses not dialled, and what the control says about
 * the same hop. See docs/verdict-rules.md ("Hops and the control"). Pure.
 */
import { isIP } from 'node:net';
import {
  MAIN_TEST_ONLY_TAG,
  SNI_PROBE_TAG,
  type DnsQueryObservation,
  type HttpRequestObservation,
  type Observations,
  type TcpConnectObservation,
  type ThResponse,
  type TlsHandshakeObservation,
} from '../model/index.js';
import { controlRefreshes, redirectOf } from './response.js';
import { urlHostname } from './web-observations.js';

/** The control's HTTP result for one hop (or its final one). */
export interface ControlHttp {
  failure: string | null;
  status_code: number;
  body_length: number;
  header_names: string[];
  title: string;
  /** True when the control was sent elsewhere at this hop (Location or Refresh). */
  redirected: boolean;
  /** `hops[N]` or `http_request`. */
  key: string;
}

/** What the control says about one hop. */
export interface HopControl {
  /** null when the control has nothing for this hop's name. */
  dns: { failure: string | null; addrs: string[] } | null;
  tcp: Record<string, { status: boolean; failure: string | null }>;
  tls: Record<string, { server_name: string; status: boolean; failure: string | null }>;
  /** The control's response at this hop (per-hop) or, for the probe's last hop, its final response. */
  http: ControlHttp | null;
  /** True when the helper sent a per-hop result for this depth. */
  perHop: boolean;
}

/** One hop of the probe's chain. */
export interface Hop {
  depth: number;
  url: string;
  host: string;
  last: boolean;
  queries: DnsQueryObservation[];
  addrs: string[];
  endpoints: TcpConnectObservation[];
  notDialled: NonNullable<Observations['x_not_dialled']>;
  control: HopControl;
}

export function hasTag(tags: readonly string[], tag: string): boolean {
  return tags.includes(tag);
}

/** The probe's primary-resolver lookups at `depth`: getaddrinfo or tagged `classic`; else every non-DoH lookup. */
export function primaryQueries(queries: readonly DnsQueryObservation[], depth: number): DnsQueryObservation[] {
  const atDepth = queries.filter((q) => q.depth === depth);
  const classic = atDepth.filter((q) => q.engine === 'getaddrinfo' || hasTag(q.tags, 'classic'));
  return classic.length > 0 ? classic : atDepth.filter((q) => q.engine !== 'doh');
}

/** Every address of the successful lookups, in order, once. */
export function answerAddrs(queries: readonly DnsQueryObservation[]): string[] {
  const out = new Set<string>();
  for (const q of queries) {
    if (q.failure !== null) continue;
    for (const a of q.answers) {
      if (a.answer_type === 'A' && a.ipv4) out.add(a.ipv4);
      if (a.answer_type === 'AAAA' && a.ipv6) out.add(a.ipv6);
    }
  }
  return [...out];
}

/** True when `connects` are some, all of a measurement older than Web Connectivity 0.5 (tagged {@link MAIN_TEST_ONLY_TAG} by the import). */
function mainTestOnly(connects: readonly TcpConnectObservation[]): boolean {
  return connects.length > 0 && connects.every((c) => hasTag(c.tags, MAIN_TEST_ONLY_TAG));
}

/** The probe's fetch endpoints at `depth`: not `fetch_body=false`, not `sni_probe`, tagged `classic` or on a primary address (every one in a measurement older than Web Connectivity 0.5, MAIN_TEST_ONLY_TAG). */
export function primaryEndpoints(connects: readonly TcpConnectObservation[], depth: number, addrs: readonly string[]): TcpConnectObservation[] {
  const atDepth = connects.filter((c) => c.depth === depth && !hasTag(c.tags, 'fetch_body=false') && !hasTag(c.tags, SNI_PROBE_TAG));
  // Measurements older than Web Connectivity 0.5 (tagged by the import) connect only to fetch
  // endpoints: every one counts, also one whose DNS answer the measurement lost.
  if (mainTestOnly(atDepth)) return atDepth;
  const primary = atDepth.filter((c) => hasTag(c.tags, 'classic') || addrs.includes(c.ip));
  if (primary.length > 0) return primary;
  // IP-literal URLs or redirects to addresses we did not resolve: every endpoint of the hop.
  return addrs.length === 0 ? atDepth : [];
}

function httpOf(h: { failure: string | null; status_code: number; body_length: number; headers: Record<string, string>; title: string }, redirected: boolean, key: string): ControlHttp {
  const r = redirected || (h.status_code >= 300 && h.status_code < 400);
  return { failure: h.failure, status_code: h.status_code, body_length: h.body_length, header_names: Object.keys(h.headers), title: h.title, redirected: r, key };
}

/** The control's final response (`http_request`), redirected when it carries a Refresh elsewhere. */
export function controlFinalHttp(resp: ThResponse, url: string): ControlHttp {
  return httpOf(resp.http_request, controlRefreshes(resp.http_request.headers, url), 'http_request');
}

/** Host names compared as DNS compares them: case and a trailing dot do not matter. Pure. */
export function sameHost(a: string, b: string): boolean {
  return a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');
}

/**
 * controlForHop: the helper's per-hop result for `depth` when it sent one for the same host
 * (`host`, the probe's hop host; '' when unknown). A per-hop result for ANOTHER host (the site sent
 * the control elsewhere at this depth: a geo-redirect, or the censor's redirect on the probe's
 * side) says nothing about this hop's name: the hop is then compared as without per-hop results
 * (the control's final page only, for the last hop). At depth 0 the top-level `tcp_connect` /
 * `tls_handshake` (the helper's checks of the probe's own addresses) are merged in, so they count
 * at depth 0 (docs/verdict-rules.md).
 */
export function controlForHop(resp: ThResponse, depth: number, last: boolean, url: string, host = ''): HopControl {
  const hop = resp.x_censorprobe?.hops.find((h) => h.depth === depth && (host === '' || depth === 0 || sameHost(urlHostname(h.url), host)));
  const final = last ? controlFinalHttp(resp, url) : null;
  const topTcp = depth === 0 ? resp.tcp_connect : {};
  const topTls = depth === 0 ? resp.tls_handshake ?? {} : {};
  if (hop) {
    const h = hop.http_request;
    const key = `hops[${resp.x_censorprobe?.hops.indexOf(hop) ?? 0}]`;
    return {
      dns: { failure: hop.dns.failure, addrs: hop.dns.addrs },
      tcp: { ...topTcp, ...hop.tcp_connect },
      tls: { ...topTls, ...hop.tls_handshake },
      http: h ? httpOf(h, h.location !== null || controlRefreshes(h.headers, hop.url), key) : final,
      perHop: true,
    };
  }
  if (depth === 0) return { dns: resp.dns, tcp: topTcp, tls: topTls, http: final, perHop: false };
  return { dns: null, tcp: {}, tls: {}, http: final, perHop: false };
}

/** The depths seen in the observations (0 when none), ascending. */
export function depthsOf(obs: Observations): number[] {
  const all = [...obs.queries, ...obs.tcp_connect, ...obs.tls_handshakes, ...obs.requests, ...(obs.x_not_dialled ?? [])];
  const depths = [...new Set(all.map((o) => o.depth))].sort((a, b) => a - b);
  return depths.length === 0 ? [0] : depths;
}

/**
 * The URL (its request's; the input at depth 0; '' when none was sent) and host of the probe's hop
 * at `depth`. A later hop that sent no request and made no lookup (a redirect to an IP literal
 * whose connect failed) takes its host from the redirect that led to it (the flow's
 * `x_redirects`, else the previous response's redirect), never from the input. Pure.
 */
export function hopTarget(obs: Observations, inputUrl: string, depth: number): { url: string; host: string } {
  const url = obs.requests.find((r) => r.depth === depth)?.request.url ?? (depth === 0 ? inputUrl : '');
  const host = urlHostname(url) || primaryQueries(obs.queries, depth)[0]?.hostname;
  if (host) return { url, host };
  if (depth > 0) {
    const previous = obs.requests.find((r) => r.depth === depth - 1);
    const next = (obs.x_redirects ?? []).find((x) => x.depth === depth - 1)?.to ?? (previous ? redirectOf(previous)?.target : undefined);
    const fromRedirect = next ? urlHostname(next) : '';
    if (fromRedirect) return { url, host: fromRedirect };
  }
  return { url, host: urlHostname(inputUrl) };
}

/** buildHop assembles the view of one depth; `control` is the control for it (a helper's, or the DoH reference at depth 0). */
export function buildHop(obs: Observations, inputUrl: string, depth: number, last: boolean, control: HopControl): Hop {
  const { url, host } = hopTarget(obs, inputUrl, depth);
  const queries = primaryQueries(obs.queries, depth);
  const answered = answerAddrs(queries);
  const endpoints = primaryEndpoints(obs.tcp_connect, depth, answered);
  // A measurement older than Web Connectivity 0.5 dials only addresses its lookup returned: one it
  // dialled is one of its answers, also when the stored answer list lost it.
  const legacy = queries.length > 0 && mainTestOnly(endpoints);
  const addrs = legacy ? [...new Set([...answered, ...endpoints.map((c) => c.ip)])] : answered;
  return {
    depth, url, host, last, queries, addrs,
    endpoints,
    notDialled: (obs.x_not_dialled ?? []).filter((n) => n.depth === depth),
    control,
  };
}

/** The handshakes of the hop's fetch endpoints (every handshake of the hop for IP-literal hops), sni_probe excluded. */
export function hopHandshakes(obs: Observations, hop: Hop): TlsHandshakeObservation[] {
  const txids = new Set(hop.endpoints.map((c) => c.transaction_id));
  const scoped = hop.endpoints.length > 0 || hop.addrs.length > 0;
  return obs.tls_handshakes.filter((h) => h.depth === hop.depth && !hasTag(h.tags, SNI_PROBE_TAG) && (!scoped || txids.has(h.transaction_id)));
}

/** The hop's HTTP request (on a fetch endpoint, or any for IP-literal hops). */
export function hopRequest(obs: Observations, hop: Hop): HttpRequestObservation | undefined {
  const txids = new Set(hop.endpoints.map((c) => c.transaction_id));
  const scoped = hop.endpoints.length > 0 || hop.addrs.length > 0;
  return obs.requests.find((r) => r.depth === hop.depth && (!scoped || txids.has(r.transaction_id)));
}

export function isVerified(h: TlsHandshakeObservation): boolean {
  return h.failure === null && !h.no_tls_verify;
}

/** True for an IP literal. */
export function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}
