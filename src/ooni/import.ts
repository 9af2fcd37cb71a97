/**
 * Import of OONI Web Connectivity measurements into our shapes, so that our classifiers can run on
 * OONI's own observations (and be checked against the keys OONI recorded).
 *
 * Input: one measurement as published by OONI (data format 0.2.0, `test_name: web_connectivity`,
 * ooni-reference.md section 5). Output: our {@link Observations} and {@link ControlRecord}, plus the
 * analysis keys OONI recorded. Pure: no I/O.
 */
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
  /** OONI's `test_start_time` as written (`YYYY-MM-DD hh:mm:ss`, UTC), or null. */
  test_start_time: string | null;
  /** OONI's `test_runtime` in seconds, or null. */
  test_runtime: number | null;
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
function failure(v: unknown): Failure | null {
  return typeof v === 'string' ? (v as Failure) : null;
}
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

function headersList(v: unknown): HeadersList {
  if (!Array.isArray(v)) return [];
  const out: HeadersList = [];
  for (const pair of v) {
    if (Array.isArray(pair) && pair.length >= 2) out.push([String(pair[0]), typeof pair[1] === 'string' ? pair[1] : JSON.stringify(pair[1])]);
  }
  return out;
}

function headersMap(v: unknown, list: HeadersList): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) {
    for (const [k, val] of Object.entries(v)) out[k] = typeof val === 'string' ? val : JSON.stringify(val);
    return out;
  }
  for (const [k, val] of list) if (!(k in out)) out[k] = val;
  return out;
}

function importQuery(q: Json): DnsQueryObservation {
  const rawEngine = str(q['engine']);
  // QUIRK: OONI's `system` engine is getaddrinfo; other engines (e.g. `tcp`, `dot`) keep their name.
  const engine = (rawEngine === 'system' ? 'getaddrinfo' : rawEngine) as DnsEngine;
  const answers: DnsAnswer[] = arr(q['answers']).map((a) => {
    const out: DnsAnswer = { answer_type: str(a['answer_type']) as DnsAnswer['answer_type'], ttl: typeof a['ttl'] === 'number' ? a['ttl'] : null };
    if (typeof a['ipv4'] === 'string') out.ipv4 = a['ipv4'];
    if (typeof a['ipv6'] === 'string') out.ipv6 = a['ipv6'];
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
  let response: HttpRequestObservation['response'] = null;
  if (res !== null && num(res['code']) > 0) {
    const bytes = bodyBytes(res['body']);
    const list = headersList(res['headers_list']);
    const rawBody = res['body'];
    response = {
      code: num(res['code']),
      headers: headersMap(res['headers'], list),
      headers_list: list,
      body: typeof rawBody === 'string' ? rawBody : isObject(rawBody) ? { format: 'base64', data: str(rawBody['data']) } : '',
      body_is_truncated: res['body_is_truncated'] === true,
      body_length: bytes.length,
      title: extractTitle(bytes.toString('utf8')),
    };
  }
  return {
    network: 'tcp',
    address: str(e['address']),
    request: {
      method: 'GET',
      url: str(req['url']),
      headers: headersMap(req['headers'], reqList),
      headers_list: reqList,
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
 * importOoniMeasurement maps one OONI web_connectivity measurement (parsed JSON) into our shapes:
 * `test_keys.queries`, `tcp_connect`, `tls_handshakes`, `requests`, `network_events` become our
 * observations (depth from the `depth=N` tag, default 0; missing `t0` → `t`; missing `t` → 0;
 * `resolver_address ''` for getaddrinfo → `system`; response `body_length` = body bytes and `title`
 * from OONI's regex; a response with `code` 0 → null); `control`, `x_control_request` and
 * `control_failure` become a {@link ControlRecord} with source `helper`.
 *
 * @throws Error when `m` is not an object with `test_name: "web_connectivity"` and `test_keys`.
 */
export function importOoniMeasurement(m: unknown): ImportedOoniMeasurement {
  if (!isObject(m)) throw new Error('importOoniMeasurement: expected an OONI measurement object');
  if (m['test_name'] !== 'web_connectivity') {
    throw new Error(`importOoniMeasurement: expected test_name "web_connectivity", got ${JSON.stringify(m['test_name'])}`);
  }
  const tk = m['test_keys'];
  if (!isObject(tk)) throw new Error('importOoniMeasurement: the measurement has no test_keys');

  const observations: Observations = {
    queries: arr(tk['queries']).map(importQuery),
    tcp_connect: arr(tk['tcp_connect']).map(importTcp),
    tls_handshakes: arr(tk['tls_handshakes']).map(importTls),
    requests: arr(tk['requests']).map(importRequest),
    network_events: arr(tk['network_events']).map(importEvent).filter((e): e is NetworkEvent => e !== null),
  };
  const helpers = isObject(m['test_helpers']) ? m['test_helpers'] : {};
  const backend = isObject(helpers['backend']) ? helpers['backend'] : {};
  const response = isObject(tk['control']) ? (tk['control'] as unknown as ThResponse) : null;
  const rawRequest = isObject(tk['x_control_request']) ? tk['x_control_request'] : null;
  // QUIRK: Go writes nil slices and maps as null (e.g. `tcp_connect: null` when DNS failed).
  const request: ThRequest | null = rawRequest === null ? null : {
    ...(rawRequest as unknown as ThRequest),
    http_request: str(rawRequest['http_request']),
    http_request_headers: isObject(rawRequest['http_request_headers']) ? (rawRequest['http_request_headers'] as ThRequest['http_request_headers']) : {},
    tcp_connect: tags(rawRequest['tcp_connect']),
  };
  const control: ControlRecord = {
    source: 'helper',
    address: typeof backend['address'] === 'string' ? backend['address'] : null,
    request,
    response,
    failure: typeof tk['control_failure'] === 'string' ? tk['control_failure'] : null,
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
    recorded: recorded as Partial<OoniAnalysis>,
  };
  return {
    url: str(m['input']), observations, control, recorded: recorded as Partial<OoniAnalysis>, source,
    test_start_time: strOrNull(m['test_start_time']),
    test_runtime: typeof m['test_runtime'] === 'number' ? m['test_runtime'] : null,
  };
}
