/**
 * httpRoundTrip: one HTTP GET over OUR already connected (and handshaked) socket, through an undici
 * `Client` whose `connect` hook hands that socket back: OONI's single-use dialer (dd-003
 * step-by-step; docs/measurement-model.md steps 9-10 and 13). No redirects, no retries, no pooling.
 * undici comes through net/undici.ts, which loads only its Client and Agent (docs/architecture.md).
 */
import { bodyEncoding, contentTypeOf, decodeBody } from '../model/charset.js';
import type net from 'node:net';
import type tls from 'node:tls';
import { Client, type Dispatcher } from './undici.js';
import { createDeadline } from './deadline.js';
import { classifyError } from './failure.js';
import type { Clock } from './clock.js';
import type { Failure } from '../model/failure.js';
import type { BinaryData, HeadersList, HttpRequestObservation, NetworkEvent } from '../model/observations.js';
import { WIRE_TAG } from '../model/throttling.js';

/** Default HTTP timeout in ms, covering the round trip and the body read (OONI LTE: 10 s). */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** Default body cap in bytes (OONI LTE `LimitReader(1<<19)` = 512 KiB). */
export const DEFAULT_MAX_BODY_BYTES = 524_288;

/** At most this many `read` events per connection (OONI `measurexlite/trace.go`: 64). */
export const MAX_READ_EVENTS = 64;

/** Interval of `bytes_received_cumulative` samples in ms (OONI `internal/throttling`: 250 ms expected). */
export const BYTES_SAMPLE_INTERVAL_MS = 250;

/** At most this many `bytes_received_cumulative` samples per round trip (bounds memory: 60 s at 250 ms). */
export const MAX_BYTES_SAMPLES = 240;

/**
 * A current desktop Chrome User-Agent. OONI sends a fixed browser UA (`model/http.go`); a browser-like
 * UA avoids bot-detection pages being mistaken for blockpages.
 */
export const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** Browser-like request headers sent with every GET (OONI LTE, docs/measurement-model.md step 9). Host and Referer are added per request. */
export const DEFAULT_REQUEST_HEADERS: Readonly<Record<string, string>> = {
  Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'Accept-Language': 'en-US,en;q=0.9',
  'User-Agent': USER_AGENT,
};

/**
 * HttpRoundTripOptions.
 * - `url` (required): absolute http(s) URL; its host goes into `Host` (`:authority` for h2).
 * - `address` (required): `IP:PORT` of the socket, for the observation.
 * - `headers` (optional): extra or overriding request headers (name → value).
 * - `referer` (optional): the Referer header; omitted when undefined.
 * - `maxBodyBytes` (optional, default 524288 bytes): body cap.
 * - `retainBodyBytes` (optional, default = the cap): body bytes kept in memory and reported;
 *   bytes past it are counted in `body_length` and dropped (the helper counts a 16 MiB body but
 *   keeps its first 512 KiB, so concurrent large fetches stay bounded in memory).
 * - `clock` (required); `timeoutMs` (optional, default 10000 ms, round trip + body);
 *   `transactionId`, `depth` (required); `tags` (optional, written verbatim); `signal` (optional).
 */
export interface HttpRoundTripOptions {
  url: string;
  address: string;
  headers?: Record<string, string>;
  referer?: string;
  maxBodyBytes?: number;
  retainBodyBytes?: number;
  clock: Clock;
  timeoutMs?: number;
  transactionId: number;
  depth: number;
  tags?: string[];
  signal?: AbortSignal;
}

/**
 * The result of {@link httpRoundTrip}: the observation, the captured body bytes (at most the cap)
 * and the network events (`read` events, at most 64, and `bytes_received_cumulative` samples).
 */
export interface HttpRoundTripResult {
  observation: HttpRequestObservation;
  body: Buffer;
  events: NetworkEvent[];
}

const TITLE_RE = /<title>([^<]{1,512})<\/title>/i;

/**
 * extractTitle returns the first `<title>` text per OONI's regex `(?i)<title>([^<]{1,512})</title>`
 * (`measurexlite`/`httpanalysis`), or '' when there is none. Pure; never throws.
 */
export function extractTitle(body: string): string {
  return TITLE_RE.exec(body)?.[1] ?? '';
}

const TITLE_TAG = /<title>/i;

/**
 * titleOf returns `extractTitle` of the body decoded in its declared charset (`decodeBody`), but
 * skips the decoding of a UTF-8 body whose bytes hold no `<title>` tag: a UTF-8 decoder yields an
 * ASCII character only from that same byte (WHATWG Encoding, UTF-8 decoder: an ASCII byte ends an
 * invalid sequence and is decoded as itself), and a non-Unicode `i` regex matches ASCII letters
 * only with ASCII letters (ECMA-262 Canonicalize), so no tag in the bytes means no tag in the text.
 * The throttling test's 512 KiB transfers then cost no full decode. Pure; never throws.
 */
export function titleOf(body: Buffer, contentType: string | null): string {
  if (bodyEncoding(body, contentType) === 'utf-8' && !TITLE_TAG.test(body.toString('latin1'))) return '';
  return extractTitle(decodeBody(body, contentType));
}

/**
 * canonicalHeaderName returns `name` in Go's canonical MIME form (`content-type` → `Content-Type`),
 * as OONI archives header names (`http.CanonicalHeaderKey`).
 */
export function canonicalHeaderName(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

/** bodyForReport returns the body as UTF-8 text when it is valid UTF-8, else `{format:'base64'}` (OONI `MaybeBinaryValue`). */
export function bodyForReport(body: Buffer): string | BinaryData {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return { format: 'base64', data: body.toString('base64') };
  }
}

/**
 * wireSocketOf returns the TCP socket under `socket`: for a TLS socket made over an existing
 * socket, Node keeps it as `_parent` (lib/_tls_wrap.js, `TLSSocket` constructor, v20), whose
 * `bytesRead` counts the bytes on the wire; for a plain socket, the socket itself.
 */
export function wireSocketOf(socket: net.Socket | tls.TLSSocket): net.Socket {
  const parent = (socket as unknown as { _parent?: unknown })._parent;
  return parent !== null && typeof parent === 'object' && typeof (parent as net.Socket).bytesRead === 'number' ? (parent as net.Socket) : socket;
}

class BodyCapReached extends Error {
  readonly code = 'ERR_PROBE_BODY_CAP';
}

/**
 * httpRoundTrip sends one GET for `opts.url` over `socket` (plain TCP, or TLS: HTTP/2 when ALPN
 * negotiated `h2`) and reads the body up to `maxBodyBytes`.
 *
 * Observation: request headers as sent (`headers` and `headers_list`), response status, headers
 * (names canonicalised; `headers` keeps the first value of each name), body (UTF-8 text or
 * base64), `body_length` (bytes captured), `body_is_truncated` (`body_length >= cap`, OONI rule;
 * reading stops at the cap), `title`, `t_first_byte` (seconds on the measurement clock when the
 * first response byte arrived). A response without headers (an injected HTTP/1.0 blockpage that
 * closes the connection) parses as its status with the bytes until close as body.
 * Failures: `classifyError(err, 'http_round_trip')` (RST → connection_reset, close before/inside
 * the response → eof_error); `timeoutMs` elapsed → generic_timeout_error; `signal` aborted →
 * interrupted. When the failure happens after the response head, `response` is kept with the
 * partial body. Events: `read` events (num_bytes, t; at most 64; socket reads for HTTP/1.x, body
 * chunks for h2 where the session owns the socket) and `bytes_received_cumulative` samples every
 * 250 ms plus a final one (at most 240); under TLS, also the bytes read from the TCP socket under
 * it (tagged `wire`) at each sample and at each recorded read (docs/throttling.md). The socket is ALWAYS destroyed when this returns.
 * Never rejects for network failures; throws on a non-http(s) URL (programmer error).
 */
export async function httpRoundTrip(socket: net.Socket | tls.TLSSocket, opts: HttpRoundTripOptions): Promise<HttpRoundTripResult> {
  const url = new URL(opts.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`httpRoundTrip: unsupported URL ${opts.url}`);
  const { clock } = opts;
  const cap = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const retain = Math.min(cap, opts.retainBodyBytes ?? cap);
  const isH2 = (socket as Partial<tls.TLSSocket>).alpnProtocol === 'h2';
  const tags = [...(opts.tags ?? [])];
  const requestHeaders = buildRequestHeaders(url, opts);
  const events: NetworkEvent[] = [];
  let readEvents = 0;
  let bytesReceived = 0;
  let samples = 0;
  let tFirstByte: number | null = null;

  const wire = wireSocketOf(socket);
  const wireAtStart = wire === socket ? 0 : wire.bytesRead;
  const wireTags = [...tags, WIRE_TAG];
  const recordRead = (n: number): void => {
    const t = clock.now();
    tFirstByte ??= t;
    bytesReceived += n;
    if (readEvents < MAX_READ_EVENTS) {
      readEvents++;
      events.push({ operation: 'read', address: opts.address, num_bytes: n, failure: null, t, transaction_id: opts.transactionId, tags });
      // Under TLS, the wire count at the same moment (the first 64 reads: a fast transfer's curve).
      if (wire !== socket) events.push({ operation: 'bytes_received_cumulative', address: opts.address, num_bytes: wire.bytesRead - wireAtStart, failure: null, t, transaction_id: opts.transactionId, tags: wireTags });
    }
  };
  const sample = (): void => {
    if (samples >= MAX_BYTES_SAMPLES) return;
    samples++;
    const t = clock.now();
    events.push({ operation: 'bytes_received_cumulative', address: opts.address, num_bytes: bytesReceived, failure: null, t, transaction_id: opts.transactionId, tags });
    // TLS: the bytes on the wire too (records, handshake messages after this point), so that a
    // slow trickle of a large record is a rate, not a silence (docs/throttling.md "Wire bytes").
    if (wire !== socket) events.push({ operation: 'bytes_received_cumulative', address: opts.address, num_bytes: wire.bytesRead - wireAtStart, failure: null, t, transaction_id: opts.transactionId, tags: wireTags });
  };

  const t0 = clock.now();
  const deadline = createDeadline('http_round_trip', opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS, opts.signal);
  const sampler = setInterval(sample, BYTES_SAMPLE_INTERVAL_MS);
  let used = false;
  const client = new Client(url.origin, {
    allowH2: isH2,
    pipelining: 1,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: (_o, cb) => {
      if (used) {
        cb(Object.assign(new Error('single-use connection already used'), { code: 'ERR_PROBE_SINGLE_USE' }), null);
        return;
      }
      used = true;
      // QUIRK: the callback must be asynchronous: undici calls the connector from inside its
      // resume loop and ignores a re-entrant resume, so a synchronous callback never sends.
      queueMicrotask(() => {
        cb(null, socket);
        // undici attached its own 'readable' listener synchronously inside cb; a 'data' listener
        // is now a passive observer of its reads (HTTP/1.x only: for h2 the session owns the socket).
        if (!isH2) socket.on('data', (chunk: Buffer) => recordRead(chunk.length));
      });
    },
  });

  let status: number | null = null;
  let responseHeaders: HeadersList = [];
  const chunks: Buffer[] = [];
  let captured = 0;
  let kept = 0;
  let truncated = false;
  let failure: Failure | null = null;
  let detail: string | null = null;

  try {
    await new Promise<void>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | null = null;
      deadline.aborted.catch((reason: unknown) => {
        reject(reason);
        controller?.abort(reason instanceof Error ? reason : new Error(String(reason)));
      });
      // undici's current handler API (undici@7 lib/handler/unwrap-handler.js): the controller
      // replaces onConnect's abort callback, and rawHeaders keeps the names as sent.
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
        },
        onResponseStart(c, statusCode) {
          tFirstByte ??= clock.now();
          status = statusCode;
          responseHeaders = toHeadersList(Array.isArray(c.rawHeaders) ? c.rawHeaders : null);
        },
        onResponseData(c, chunk) {
          if (isH2) recordRead(chunk.length);
          const room = cap - captured;
          const keep = (c: Buffer): void => {
            const left = retain - kept;
            if (left <= 0) return;
            const part = c.length > left ? Buffer.from(c.subarray(0, left)) : c;
            chunks.push(part);
            kept += part.length;
          };
          if (chunk.length >= room) {
            keep(chunk.subarray(0, room));
            captured += room;
            truncated = true;
            resolve();
            c.abort(new BodyCapReached('body cap reached'));
            return;
          }
          keep(chunk);
          captured += chunk.length;
        },
        onResponseEnd() {
          // HTTP/1.x: undici destroys the socket right after this call (the request asked for
          // `connection: close`) with an InformationalError, whose stack Node's stream destroy
          // then formats (~0.3 ms a request, `npm run bench`); destroying it here first, without an
          // error, makes that call a no-op. h2: the session owns the socket (closed below).
          if (!isH2) socket.destroy();
          resolve();
        },
        onResponseError(_c, err) {
          if (err instanceof BodyCapReached || truncated) resolve();
          else reject(err);
        },
      };
      client.dispatch(
        { origin: url.origin, path: url.pathname + url.search, method: 'GET', headers: requestHeaders.flat(), reset: true },
        handler,
      );
    });
  } catch (err) {
    ({ failure, detail } = classifyError(err, 'http_round_trip'));
  } finally {
    clearInterval(sampler);
    deadline.clear();
  }
  sample();
  const t = clock.now();
  await client.destroy().catch(() => undefined);
  socket.destroy();

  const body = Buffer.concat(chunks);
  const observation: HttpRequestObservation = {
    network: 'tcp',
    address: opts.address,
    request: {
      method: 'GET',
      url: opts.url,
      headers: Object.fromEntries(requestHeaders),
      headers_list: requestHeaders,
      body: '',
      body_is_truncated: false,
      x_transport: 'tcp',
    },
    response:
      status === null
        ? null
        : {
            code: status,
            headers: firstValues(responseHeaders),
            headers_list: responseHeaders,
            body: bodyForReport(body),
            body_is_truncated: truncated || captured >= cap,
            body_length: captured,
            title: titleOf(body, contentTypeOf(responseHeaders)),
          },
    failure,
    failure_detail: detail,
    t_first_byte: tFirstByte,
    t0,
    t,
    transaction_id: opts.transactionId,
    depth: opts.depth,
    tags,
  };
  return { observation, body, events };
}

function buildRequestHeaders(url: URL, opts: HttpRoundTripOptions): HeadersList {
  const merged = new Map<string, [string, string]>();
  const put = (name: string, value: string): void => {
    merged.set(name.toLowerCase(), [name, value]);
  };
  put('Host', url.host);
  for (const [name, value] of Object.entries(DEFAULT_REQUEST_HEADERS)) put(name, value);
  if (opts.referer !== undefined) put('Referer', opts.referer);
  for (const [name, value] of Object.entries(opts.headers ?? {})) put(name, value);
  return [...merged.values()];
}

function toHeadersList(raw: Buffer[] | string[] | null): HeadersList {
  const out: HeadersList = [];
  if (raw === null) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name === undefined || value === undefined) continue;
    const values = Array.isArray(value) ? (value as (Buffer | string)[]) : [value];
    for (const v of values) out.push([canonicalHeaderName(name.toString('latin1')), v.toString('latin1')]);
  }
  return out;
}

/** firstValues maps a header list to `{name: first value}` (the helper's `headers` shape, OONI oohelperd). */
export function firstValues(list: HeadersList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of list) if (!(name in out)) out[name] = value;
  return out;
}
