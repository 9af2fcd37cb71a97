/**
 * Import of OONI Web Connectivity measurements into our shapes, so that our classifiers can run on
 * OONI's own observations (and be checked against the keys OONI recorded).
 *
 * Input: one measurement as published by OONI (data format 0.2.0, `test_name: web_connectivity`),
 * of any vintage: the Python ooniprobe, Measurement Kit, the Go engine before LTE, or LTE.
 * Output: our {@link Observations} and {@link ControlRecord}, plus the analysis keys OONI recorded.
 * The layouts and how old ones are normalised: docs/ooni-import.md. Pure: no I/O.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { contentTypeOf, decodeBody } from '../model/charset.js';
import { FAILURES, MAIN_TEST_ONLY_TAG } from '../model/index.js';
import { parseIp } from '../model/ip.js';
import type {
  BinaryData,
  ControlRecord,
  DnsAnswer,
  DnsEngine,
  DnsQueryObservation,
  Failure,
  HeadersList,
  HttpRequestObservation,
  NetworkEvent,
  Observations,
  OoniAnalysis,
  OoniSourceRecord,
  TcpConnectObservation,
  ThRequest,
  ThResponse,
  TlsHandshakeObservation,
} from '../model/index.js';

/**
 * Which probe wrote a measurement (docs/ooni-import.md, "Vintages"):
 * - `python`: the Python ooniprobe 1.x/2.x (`software_name: ooniprobe`, test versions 0.1.0-0.3.x);
 * - `mk`: Measurement Kit (mobile and desktop apps before 2020, test version 0.0.1);
 * - `go`: the Go probe engine before LTE (test versions 0.1.0-0.4.x);
 * - `lte`: Web Connectivity LTE (test version 0.5.x), whose layout is our observations' own.
 */
export type OoniVintage = 'python' | 'mk' | 'go' | 'lte';

/** The result of {@link importOoniMeasurement}. */
export interface ImportedOoniMeasurement {
  /** The measured URL (`input`). */
  url: string;
  observations: Observations;
  control: ControlRecord;
  /** The analysis keys OONI wrote in `test_keys` (only those present). */
  recorded: Partial<OoniAnalysis>;
  /** OONI's ids and times (report_id, measurement_start_time, probe_cc/asn, versions) and the recorded keys. */
  source: OoniSourceRecord;
  /** The probe that wrote it. */
  vintage: OoniVintage;
  /** OONI's `measurement_start_time` as ISO-8601 UTC (`YYYY-MM-DDThh:mm:ssZ`). */
  measurement_start_time: string;
  /** OONI's `test_start_time` as ISO-8601 UTC, or the measurement's start when OONI wrote none. */
  test_start_time: string;
  /** OONI's `test_runtime` in seconds, or null. */
  test_runtime: number | null;
  /** What the import had to infer (old layouts), one short sentence each; [] for LTE. */
  notes: string[];
}

function strOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function arr(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}
function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}
function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
/** Old OONI failure strings with an exact equivalent in our vocabulary. */
const LEGACY_FAILURES: Readonly<Record<string, Failure>> = {
  connection_refused_error: 'connection_refused',
  connection_reset_error: 'connection_reset',
  response_never_received: 'generic_timeout_error',
  ssl_error: 'ssl_failed_handshake',
  // ooni-probe (Python, twisted's DNSLookupError) and Measurement Kit (getaddrinfo EAI_NONAME /
  // EAI_NODATA) wrote this for a lookup the resolver answered without an address; their timeouts
  // were `generic_timeout_error`. Read as the resolver's answer about the name, as OONI's own helper
  // writes it for NXDOMAIN (`oohelperd` http.go).
  dns_lookup_error: 'dns_nxdomain_error',
};

/**
 * ooniFailure maps an OONI failure string to our vocabulary (`model/failure.ts`): a string of the
 * vocabulary stays; old names with an exact equivalent are renamed (`connection_refused_error` →
 * `connection_refused`), Go's `no route to host` / `network is unreachable` errno text becomes
 * `host_unreachable` / `network_unreachable`; anything else keeps its text as `unknown_failure: TEXT` (e.g. Measurement
 * Kit's `connect_error`, `http_invalid_redirect_url`, `ssl_error: ...`). Null stays null.
 */
export function ooniFailure(v: unknown): Failure | null {
  if (typeof v !== 'string') return null;
  if ((FAILURES as readonly string[]).includes(v)) return v as Failure;
  const legacy = LEGACY_FAILURES[v];
  if (legacy !== undefined) return legacy;
  // Go's errno text of early OONI Probe versions (before netxlite named them): an unreachable
  // network or host is what IPv6 without a route gives (a local problem, docs/verdict-rules.md).
  if (/\bno route to host\b/i.test(v)) return 'host_unreachable';
  if (/\bnetwork is unreachable\b/i.test(v)) return 'network_unreachable';
  if (v.startsWith('unknown_failure: ')) return v as Failure;
  return `unknown_failure: ${v.replace(/^unknown_failure\s*/, '') || 'unknown'}`;
}
const failure = ooniFailure;
function tags(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
}
function depthOf(t: string[]): number {
  for (const tag of t) {
    const m = /^depth=(\d+)$/.exec(tag);
    if (m) return Number(m[1]);
  }
  return 0;
}
/** Common fields: `t` (default 0), `t0` (default `t`), transaction id, tags and depth. */
function timing(e: Json): { t0: number; t: number; transaction_id: number; depth: number; tags: string[] } {
  const t = num(e['t']);
  const tg = tags(e['tags']);
  return { t0: num(e['t0'], t), t, transaction_id: num(e['transaction_id']), depth: depthOf(tg), tags: tg };
}

/** True when `s` parses as an absolute http:// or https:// URL (what a Web Connectivity input is). */
function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && /^https?:\/\//i.test(s);
  } catch {
    return false;
  }
}

/** OONI `(?i)<title>([^<]{1,512})</title>` (measurexlite `WebGetTitle`): first match or ''. */
export function extractTitle(body: string): string {
  const m = /<title>([^<]{1,512})<\/title>/i.exec(body);
  return m?.[1] ?? '';
}

/** Body bytes of an OONI `ArchivalMaybeBinaryData` (string, `{format: base64, data}`, or null). */
function bodyBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (isObject(body) && body['format'] === 'base64') return Buffer.from(str(body['data']), 'base64');
  return Buffer.alloc(0);
}

/**
 * A header value as text: OONI writes values that are not valid UTF-8 as `{format: base64, data}`
 * (e.g. a `Location` ending in stray bytes); they are decoded byte for byte (latin1), so ASCII
 * prefixes such as a blockpage URL stay matchable. Anything else that is not a string → ''.
 */
function headerValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isObject(v) && v['format'] === 'base64') return Buffer.from(str(v['data']), 'base64').toString('latin1');
  return '';
}

function headersList(v: unknown): HeadersList {
  if (!Array.isArray(v)) return [];
  const out: HeadersList = [];
  for (const pair of v) {
    if (Array.isArray(pair) && pair.length >= 2 && typeof pair[0] === 'string') out.push([pair[0], headerValue(pair[1])]);
  }
  return out;
}

/** A header map; old layouts have only the map (values possibly lists of strings). */
function headersMap(v: unknown, list: HeadersList): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) {
    for (const [k, val] of Object.entries(v)) out[k] = Array.isArray(val) ? headerValue(val[0]) : headerValue(val);
    return out;
  }
  for (const [k, val] of list) if (!(k in out)) out[k] = val;
  return out;
}

function listFromMap(map: Record<string, string>): HeadersList {
  return Object.entries(map).map(([k, v]): [string, string] => [k, v]);
}

function importQuery(q: Json): DnsQueryObservation {
  const rawEngine = str(q['engine']);
  // QUIRK: OONI's `system` engine is getaddrinfo; the Python probe wrote no engine and used the
  // system resolver; other engines (e.g. `udp`, `doh`, `tcp`, `dot`) keep their name.
  const engine = (rawEngine === 'system' || rawEngine === '' ? 'getaddrinfo' : rawEngine) as DnsEngine;
  const answers: DnsAnswer[] = arr(q['answers']).map((a) => {
    const out: DnsAnswer = { answer_type: str(a['answer_type']) as DnsAnswer['answer_type'], ttl: typeof a['ttl'] === 'number' ? a['ttl'] : null };
    // Only real addresses: a malformed one (`999.1.1.1`) is no answer, not a bogon.
    if (typeof a['ipv4'] === 'string' && isIPv4(a['ipv4'])) out.ipv4 = a['ipv4'];
    if (typeof a['ipv6'] === 'string' && isIPv6(a['ipv6'])) out.ipv6 = a['ipv6'];
    if (typeof a['hostname'] === 'string') out.hostname = a['hostname'];
    if (typeof a['asn'] === 'number') out.asn = a['asn'];
    return out;
  });
  const resolver = str(q['resolver_address']);
  const qt = str(q['query_type'], 'ANY');
  return {
    engine,
    resolver_address: resolver === '' && engine === 'getaddrinfo' ? 'system' : resolver,
    hostname: str(q['hostname']),
    query_type: qt as DnsQueryObservation['query_type'],
    answers,
    failure: failure(q['failure']),
    rcode: typeof q['rcode'] === 'number' ? q['rcode'] : null,
    ...timing(q),
  };
}

function importTcp(e: Json): TcpConnectObservation {
  const status = isObject(e['status']) ? e['status'] : {};
  const out: TcpConnectObservation = {
    ip: str(e['ip']),
    port: num(e['port']),
    status: { success: status['success'] === true, failure: failure(status['failure']) },
    ...timing(e),
  };
  // QUIRK: Measurement Kit sometimes omits `failure` on a failed connect.
  if (!out.status.success && out.status.failure === null) out.status.failure = 'unknown_failure: connect failed (no failure recorded)';
  if (typeof status['blocked'] === 'boolean') out.status.blocked = status['blocked'];
  return out;
}

function importTls(e: Json): TlsHandshakeObservation {
  const certs = Array.isArray(e['peer_certificates'])
    ? arr(e['peer_certificates']).map((c): BinaryData => ({ format: 'base64', data: str(c['data']) }))
    : null;
  return {
    network: 'tcp',
    address: str(e['address']),
    server_name: str(e['server_name']),
    alpn: tags(e['alpn']),
    no_tls_verify: e['no_tls_verify'] === true,
    negotiated_protocol: typeof e['negotiated_protocol'] === 'string' ? e['negotiated_protocol'] : null,
    tls_version: typeof e['tls_version'] === 'string' ? e['tls_version'] : null,
    cipher_suite: typeof e['cipher_suite'] === 'string' ? e['cipher_suite'] : null,
    peer_certificates: certs,
    peer_certificates_summary: [],
    failure: failure(e['failure']),
    ...timing(e),
  };
}

function importRequest(e: Json): HttpRequestObservation {
  const req = isObject(e['request']) ? e['request'] : {};
  const res = isObject(e['response']) ? e['response'] : null;
  const reqList = headersList(req['headers_list']);
  const reqMap = headersMap(req['headers'], reqList);
  let response: HttpRequestObservation['response'] = null;
  if (res !== null && num(res['code']) > 0) {
    const bytes = bodyBytes(res['body']);
    const listed = headersList(res['headers_list']);
    const map = headersMap(res['headers'], listed);
    const list = listed.length > 0 ? listed : listFromMap(map);
    const rawBody = res['body'];
    response = {
      code: num(res['code']),
      headers: map,
      headers_list: list,
      // Re-encoded from the decoded bytes: OONI data may hold characters that are not base64.
      body: typeof rawBody === 'string' ? rawBody : isObject(rawBody) && rawBody['format'] === 'base64' ? { format: 'base64', data: bytes.toString('base64') } : '',
      body_is_truncated: res['body_is_truncated'] === true,
      body_length: bytes.length,
      // A base64 body is not UTF-8: read it in the charset the page declares.
      title: extractTitle(typeof rawBody === 'string' ? rawBody : decodeBody(bytes, contentTypeOf(list))),
    };
  }
  return {
    network: 'tcp',
    address: str(e['address']),
    request: {
      method: 'GET',
      url: str(req['url']),
      headers: reqMap,
      headers_list: reqList.length > 0 ? reqList : listFromMap(reqMap),
      body: '',
      body_is_truncated: req['body_is_truncated'] === true,
      x_transport: 'tcp',
    },
    response,
    failure: failure(e['failure']),
    ...timing(e),
  };
}

const EVENT_OPS: readonly string[] = ['read', 'write', 'bytes_received_cumulative', 'connect', 'tls_handshake_start', 'tls_handshake_done'];

function importEvent(e: Json): NetworkEvent | null {
  const op = str(e['operation']);
  if (!EVENT_OPS.includes(op)) return null;
  const out: NetworkEvent = { operation: op as NetworkEvent['operation'], failure: failure(e['failure']), t: num(e['t']), transaction_id: num(e['transaction_id']) };
  if (typeof e['address'] === 'string') out.address = e['address'];
  if (typeof e['num_bytes'] === 'number') out.num_bytes = e['num_bytes'];
  const tg = tags(e['tags']);
  if (tg.length > 0) out.tags = tg;
  return out;
}

const RECORDED_KEYS = [
  'dns_experiment_failure', 'dns_consistency', 'control_failure', 'http_experiment_failure',
  'body_length_match', 'body_proportion', 'status_code_match', 'headers_match', 'title_match',
  'blocking', 'accessible', 'x_dns_flags', 'x_blocking_flags', 'x_null_null_flags',
] as const;

/**
 * hasLteLayout: the measurement already has LTE's layout (every request carries a `depth=N` tag,
 * which only LTE writes; without requests, some query, connect or handshake does), so it needs no
 * normalisation whatever its version says.
 */
function hasLteLayout(tk: Json): boolean {
  const tagged = (e: Json): boolean => tags(e['tags']).some((t) => /^depth=\d+$/.test(t));
  // The requests decide when there are any: LTE tags every one (its order, oldest first, is what
  // matters), and a stray tag on a lookup of an old layout must not skip its normalisation.
  const requests = arr(tk['requests']);
  if (requests.length > 0) return requests.every(tagged);
  return ['queries', 'tcp_connect', 'tls_handshakes'].some((k) => arr(tk[k]).some(tagged));
}

/**
 * ooniVintage tells which probe wrote a measurement from `test_version`, `software_name` and
 * `software_version` (docs/ooni-import.md, "Vintages"): test version 0.5.x (or none, with LTE's
 * layout: `lteLayout`) → `lte`; 0.0.1 →
 * `mk`; `software_name` `ooniprobe` with a 1.x/2.x version → `python`; else `go`.
 */
export function ooniVintage(m: { test_version?: unknown; software_name?: unknown; software_version?: unknown }, lteLayout = false): OoniVintage {
  const tv = str(m.test_version);
  const name = str(m.software_name);
  const version = str(m.software_version);
  if (/^0\.([5-9]|\d\d)\./.test(tv) || /^[1-9]/.test(tv)) return 'lte';
  if (tv === '' && lteLayout) return 'lte';
  if (tv === '0.0.1' || name === 'measurement_kit') return 'mk';
  if (name === 'ooniprobe' && /^[12]\./.test(version)) return 'python';
  return 'go';
}

/**
 * parseOoniTime converts OONI's `YYYY-MM-DD hh:mm:ss` (UTC; ISO-8601 with `T`/`Z` accepted too)
 * to `YYYY-MM-DDThh:mm:ssZ`. Returns null when the text is not such a time or not a real date
 * (month 13, 31 February): the caller reports it, never "now".
 */
export function parseOoniTime(t: unknown): string | null {
  if (typeof t !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?Z?$/.exec(t.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}Z`;
}

/** The compressed, lower-case spelling of an IPv6 address (RFC 5952, as Go and our helper write it); anything else as it is. */
function canonicalIp(ip: string): string {
  return isIPv6(ip) ? (parseIp(ip)?.toString() ?? ip) : ip;
}

/** An `IP:PORT` / `[IPv6]:PORT` key with its address in {@link canonicalIp} form. */
function canonicalEndpoint(key: string): string {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(key);
  return m === null ? key : `[${canonicalIp(m[1] ?? '')}]:${m[2] ?? ''}`;
}

/**
 * normalizeControl reads the helper's answer of any vintage into a {@link ThResponse}, or null
 * when there is no usable answer: missing, `null`, `{}`, or none of `dns`/`tcp_connect`/
 * `http_request` is an object. Old helpers write `dns.ips` (now `addrs`) and no `title`; Go writes
 * nil maps and slices as null (`tcp_connect: null`, `headers: null`, `addrs: null`).
 */
export function normalizeControl(raw: unknown): ThResponse | null {
  if (!isObject(raw)) return null;
  const dns = isObject(raw['dns']) ? raw['dns'] : null;
  const http = isObject(raw['http_request']) ? raw['http_request'] : null;
  const tcpRaw = isObject(raw['tcp_connect']) ? raw['tcp_connect'] : null;
  if (dns === null && http === null && tcpRaw === null) return null;
  const addrs = Array.isArray(dns?.['addrs']) ? dns['addrs'] : Array.isArray(dns?.['ips']) ? dns['ips'] : [];
  const tcp: ThResponse['tcp_connect'] = {};
  for (const [k, v] of Object.entries(tcpRaw ?? {})) {
    if (isObject(v)) tcp[canonicalEndpoint(k)] = { status: v['status'] === true, failure: strOrNull(v['failure']) };
  }
  const out: ThResponse = {
    tcp_connect: tcp,
    http_request: http === null
      ? { body_length: -1, discovered_h3_endpoint: '', failure: 'unknown_error', title: '', headers: {}, status_code: -1 }
      : {
          body_length: num(http['body_length'], -1),
          discovered_h3_endpoint: str(http['discovered_h3_endpoint']),
          failure: strOrNull(http['failure']),
          title: str(http['title']),
          headers: headersMap(http['headers'], []),
          status_code: num(http['status_code'], -1),
        },
    dns: dns === null
      ? { failure: 'unknown_error', addrs: [] }
      : { failure: strOrNull(dns['failure']), addrs: addrs.filter((a): a is string => typeof a === 'string').map(canonicalIp) },
  };
  if (isObject(raw['tls_handshake'])) {
    out.tls_handshake = {};
    for (const [k, v] of Object.entries(raw['tls_handshake'])) {
      if (isObject(v)) out.tls_handshake[canonicalEndpoint(k)] = { server_name: str(v['server_name']), status: v['status'] === true, failure: strOrNull(v['failure']) };
    }
  }
  if (isObject(raw['ip_info'])) {
    out.ip_info = {};
    for (const [k, v] of Object.entries(raw['ip_info'])) {
      if (isObject(v)) out.ip_info[canonicalIp(k)] = { asn: num(v['asn']), flags: num(v['flags']) };
    }
  }
  return out;
}

/** The default port of a URL's scheme (80 for http, 443 for https), or the explicit port. */
function urlPort(url: string): number {
  try {
    const u = new URL(url);
    if (u.port !== '') return Number(u.port);
    return u.protocol === 'https:' ? 443 : 80;
  } catch {
    return url.startsWith('https:') ? 443 : 80;
  }
}

function joinAddr(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Probe-side exceptions that old probes wrote as an HTTP failure although nothing failed on the network. */
const CLIENT_EXCEPTION = /codec can't (de|en)code|object has no attribute|unexpected keyword argument/;

/** The tag on observations the import inferred from an old layout (not written by OONI). */
export const INFERRED_TAG = 'x_censorprobe_inferred';

/**
 * normalizeLegacy turns an old-layout measurement (Python, Measurement Kit, Go before LTE) into
 * the LTE shape our analysis reads (docs/ooni-import.md, "Mapping"): requests oldest first with
 * `depth=N` (old probes list them newest first); unique transaction ids; `fetch_body=true` on the
 * connects to the URL's port (`false` on the others); the depth-0 request paired with the first
 * successful connect to its port (else the first connect to it) and TLS handshakes with the
 * connect of their address or, without an address, the request to their server name; a hop
 * without a recorded connect gets an inferred one (tagged {@link INFERRED_TAG} and `classic`, no
 * address) so the analysis sees the request; a failed HTTP fetch written only as
 * `http_experiment_failure` becomes a failed request (unless it is a probe-side exception).
 * Mutates `obs`; returns the notes on what was inferred.
 */
function normalizeLegacy(obs: Observations, input: string, httpExperimentFailure: string | null): string[] {
  const notes: string[] = [];
  let next = 1;
  for (const q of obs.queries) {
    q.transaction_id = next++;
    q.depth = 0;
    if (!q.tags.includes('depth=0')) q.tags.push('depth=0');
  }
  if (obs.requests.length > 1) notes.push('requests reordered oldest first (the probe listed them newest first)');
  obs.requests.reverse();
  if (obs.requests.length === 0 && httpExperimentFailure !== null) {
    if (CLIENT_EXCEPTION.test(httpExperimentFailure)) {
      notes.push(`http_experiment_failure "${httpExperimentFailure.slice(0, 120)}" is an exception inside the probe, not a network failure: no request is assumed`);
    } else {
      notes.push('the failed HTTP fetch recorded only as http_experiment_failure becomes a failed request');
      obs.requests.push({
        network: 'tcp', address: '',
        request: { method: 'GET', url: input, headers: {}, headers_list: [], body: '', body_is_truncated: false, x_transport: 'tcp' },
        response: null, failure: ooniFailure(httpExperimentFailure), t0: 0, t: 0, transaction_id: 0, depth: 0, tags: [INFERRED_TAG],
      });
    }
  }
  const firstPort = urlPort(obs.requests[0]?.request.url ?? input);
  for (const c of obs.tcp_connect) {
    c.transaction_id = next++;
    c.depth = 0;
    c.tags = [...c.tags.filter((t) => !/^(depth|fetch_body)=/.test(t)), 'depth=0', `fetch_body=${c.port === firstPort}`, MAIN_TEST_ONLY_TAG];
  }
  const inferred: TcpConnectObservation[] = [];
  obs.requests.forEach((r, depth) => {
    r.depth = depth;
    r.tags = [...r.tags.filter((t) => !/^(depth|fetch_body)=/.test(t)), `depth=${depth}`, 'fetch_body=true'];
    const port = urlPort(r.request.url);
    const candidates = depth === 0 ? obs.tcp_connect.filter((c) => c.port === port) : [];
    const paired = candidates.find((c) => c.status.success) ?? candidates[0];
    if (paired !== undefined) {
      r.transaction_id = paired.transaction_id;
      r.address = joinAddr(paired.ip, paired.port);
      return;
    }
    const txid = next++;
    r.transaction_id = txid;
    inferred.push({ ip: '', port, status: { success: true, failure: null }, t0: r.t0, t: r.t0, transaction_id: txid, depth, tags: [`depth=${depth}`, 'fetch_body=true', 'classic', INFERRED_TAG] });
  });
  if (inferred.length > 0) notes.push(`${inferred.length} connect${inferred.length === 1 ? '' : 's'} inferred for requests whose connection the probe did not record`);
  for (const c of inferred) obs.tcp_connect.push(c);
  for (const h of obs.tls_handshakes) {
    const byAddr = h.address !== '' ? obs.tcp_connect.find((c) => c.ip !== '' && joinAddr(c.ip, c.port) === h.address) : undefined;
    const byName = byAddr === undefined ? obs.requests.find((r) => hostOf(r.request.url) === h.server_name && r.request.url.startsWith('https:')) : undefined;
    const txid = byAddr?.transaction_id ?? byName?.transaction_id;
    const depth = byAddr?.depth ?? byName?.depth ?? 0;
    h.transaction_id = txid ?? next++;
    h.depth = depth;
    h.tags = [...h.tags.filter((t) => !/^(depth|fetch_body)=/.test(t)), `depth=${depth}`, 'fetch_body=true'];
    if (h.address === '' && byName !== undefined) h.address = byName.address;
  }
  // An HTTPS response proves a TLS handshake; old probes verified certificates (a failed
  // verification is a failed request), so the inferred handshake counts as verified.
  let tlsInferred = 0;
  for (const r of obs.requests) {
    if (!r.request.url.startsWith('https:') || r.response === null || r.failure !== null) continue;
    if (obs.tls_handshakes.some((h) => h.transaction_id === r.transaction_id)) continue;
    tlsInferred++;
    obs.tls_handshakes.push({
      network: 'tcp', address: r.address, server_name: hostOf(r.request.url), alpn: [], no_tls_verify: false,
      negotiated_protocol: null, tls_version: null, cipher_suite: null, peer_certificates: null, peer_certificates_summary: [],
      failure: null, t0: r.t0, t: r.t0, transaction_id: r.transaction_id, depth: r.depth,
      tags: [`depth=${r.depth}`, 'fetch_body=true', INFERRED_TAG],
    });
  }
  if (tlsInferred > 0) notes.push(`${tlsInferred} TLS handshake${tlsInferred === 1 ? '' : 's'} inferred from HTTPS responses`);
  return notes;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/**
 * importOoniMeasurement maps one OONI web_connectivity measurement of any vintage (parsed JSON)
 * into our shapes: `test_keys.queries`, `tcp_connect`, `tls_handshakes`, `requests`,
 * `network_events` become our observations (depth from the `depth=N` tag, default 0; missing
 * `t0` → `t`; missing `t` → 0; a missing engine or `system` → getaddrinfo with `resolver_address`
 * `system`; base64 header values decoded; response `body_length` = body bytes and `title` from
 * OONI's regex on the body in its declared charset; a response with `code` 0 → null); old layouts
 * are normalised by {@link normalizeLegacy}; `control` (any helper vintage, see
 * {@link normalizeControl}), `x_control_request` and `control_failure` become a
 * {@link ControlRecord} with source `helper` (an empty or null answer is a control failure).
 *
 * @throws Error (message without a file name) when `m` is not an object with
 *   `test_name: "web_connectivity"` and object `test_keys`, when its `input` is not an http:// or
 *   https:// URL, or when `measurement_start_time` is present but not a time. A missing one is replaced by `test_start_time`, else by `opts.now`
 *   (ISO-8601; default the current time), with a note in `import_notes`.
 */
export function importOoniMeasurement(m: unknown, opts: { now?: string } = {}): ImportedOoniMeasurement {
  if (!isObject(m)) throw new Error('importOoniMeasurement: expected an OONI measurement object');
  if (m['test_name'] !== 'web_connectivity') {
    throw new Error(`importOoniMeasurement: expected test_name "web_connectivity", got ${JSON.stringify(m['test_name'])}`);
  }
  const tk = m['test_keys'];
  if (!isObject(tk)) throw new Error('importOoniMeasurement: the measurement has no test_keys');
  const rawStart = m['measurement_start_time'];
  const missingStart = rawStart === undefined || rawStart === null;
  const start = missingStart ? null : parseOoniTime(rawStart);
  if (start === null && !missingStart) {
    throw new Error(`importOoniMeasurement: measurement_start_time ${JSON.stringify(rawStart)} is not a time (YYYY-MM-DD hh:mm:ss)`);
  }
  const lteLayout = hasLteLayout(tk);
  const vintage = ooniVintage(m, lteLayout);
  const url = str(m['input']);
  if (!isHttpUrl(url)) throw new Error(`importOoniMeasurement: input ${JSON.stringify(m['input'] ?? null).slice(0, 200)} is not an http:// or https:// URL`);

  const observations: Observations = {
    queries: arr(tk['queries']).map(importQuery),
    tcp_connect: arr(tk['tcp_connect']).map(importTcp),
    tls_handshakes: arr(tk['tls_handshakes']).map(importTls),
    requests: arr(tk['requests']).map(importRequest),
    network_events: arr(tk['network_events']).map(importEvent).filter((e): e is NetworkEvent => e !== null),
  };
  const notes = lteLayout ? [] : normalizeLegacy(observations, url, strOrNull(tk['http_experiment_failure']));
  const importedAt = parseOoniTime(opts.now ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z')) ?? '1970-01-01T00:00:00Z';
  // A measurement without a start time is dated by the import, and says so (never silently).
  if (start === null) notes.push(`OONI wrote no measurement_start_time: the time of the import (${importedAt}) stands in`);
  const helpers = isObject(m['test_helpers']) ? m['test_helpers'] : {};
  const backend = isObject(helpers['backend']) ? helpers['backend'] : {};
  const recordedControlFailure = strOrNull(tk['control_failure']);
  // OONI ignores the helper's answer when it recorded a control failure (the answer is then zero values).
  const response = recordedControlFailure === null ? normalizeControl(tk['control']) : null;
  const rawRequest = isObject(tk['x_control_request']) ? tk['x_control_request'] : null;
  // QUIRK: Go writes nil slices and maps as null (e.g. `tcp_connect: null` when DNS failed).
  const request: ThRequest | null = rawRequest === null ? null : {
    http_request: str(rawRequest['http_request']),
    http_request_headers: isObject(rawRequest['http_request_headers']) ? (rawRequest['http_request_headers'] as ThRequest['http_request_headers']) : {},
    tcp_connect: tags(rawRequest['tcp_connect']),
  };
  const control: ControlRecord = {
    source: 'helper',
    address: typeof backend['address'] === 'string' ? backend['address'] : null,
    request,
    response,
    failure: recordedControlFailure ?? (response === null ? 'unknown_failure: the test helper answer is empty' : null),
    dns_reference: null,
    t0: null,
    t: null,
  };
  const recorded: Record<string, unknown> = {};
  for (const key of RECORDED_KEYS) if (key in tk) recorded[key] = tk[key];
  const source: OoniSourceRecord = {
    report_id: strOrNull(m['report_id']),
    measurement_uid: strOrNull(m['measurement_uid']),
    measurement_start_time: strOrNull(m['measurement_start_time']),
    probe_asn: strOrNull(m['probe_asn']),
    probe_cc: strOrNull(m['probe_cc']),
    software_name: strOrNull(m['software_name']),
    software_version: strOrNull(m['software_version']),
    test_version: strOrNull(m['test_version']),
    vintage,
    recorded: recorded as Partial<OoniAnalysis>,
  };
  if (notes.length > 0) source.import_notes = notes;
  return {
    url, observations, control, recorded: recorded as Partial<OoniAnalysis>, source, vintage, notes,
    measurement_start_time: start ?? parseOoniTime(m['test_start_time']) ?? importedAt,
    test_start_time: parseOoniTime(m['test_start_time']) ?? start ?? importedAt,
    test_runtime: typeof m['test_runtime'] === 'number' && Number.isFinite(m['test_runtime']) ? m['test_runtime'] : null,
  };
}
