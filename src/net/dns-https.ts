/**
 * httpsRecordLookup: ONE DNS query of type HTTPS (65, RFC 9460) over UDP (Do53) or DoH (RFC 8484),
 * for the report's untested protocol variants (ECH, HTTP/3; docs/measurement-model.md).
 *
 * Not a resolver: it never gives addresses and never goes into `queries` (the DNS comparison). One
 * query, no late-reply window, no retry over TCP. The transports follow dns-udp.ts (a fresh socket
 * and a random id per query; the first reply with that id wins) and dns-doh.ts (POST
 * `application/dns-message`, id 0, the shared keep-alive agent); failures use the same vocabulary
 * (`classifyError(err, 'dns_round_trip')`, rcode rules, dns_server_misbehaving for a bad DoH answer).
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { classifyError } from './failure.js';
import { createDeadline } from './deadline.js';
import { formatEndpoint } from './endpoint.js';
import { DEFAULT_DNS_TIMEOUT_MS, randomQueryId, toBinary } from './dns-message.js';
import { dohPost, type DohExchange } from './dns-doh.js';
import { decodeHttpsReply, encodeHttpsQuery, type DecodedHttpsReply, type SvcbRecord } from './svcb.js';
import type { Clock } from './clock.js';
import type { HttpsRecord, HttpsRecordsObservation } from '../model/observations.js';

/** Largest reply kept in `raw_response`, bytes (a larger one is parsed, not kept). */
export const MAX_HTTPS_RAW_BYTES = 4096;

/** Where the HTTPS query goes: a UDP server `{ip, port}` or a DoH URL (https only). */
export type HttpsRecordResolver = { kind: 'udp'; ip: string; port: number } | { kind: 'doh'; url: string };

/**
 * HttpsRecordLookupOptions.
 * - `resolver` (required): see {@link HttpsRecordResolver};
 * - `clock` (required): the measurement clock (`t0`/`t`, seconds);
 * - `timeoutMs` (optional, default 4000 ms): budget of the query, connect to reply;
 * - `depth` (required): the hop's redirect depth, written on the observation;
 * - `extraCa` (optional, DoH): PEM certificates added to the Mozilla roots;
 * - `signal` (optional): aborts the query (failure `interrupted`).
 */
export interface HttpsRecordLookupOptions {
  resolver: HttpsRecordResolver;
  clock: Clock;
  timeoutMs?: number;
  depth: number;
  extraCa?: string[];
  signal?: AbortSignal;
}

/** What one exchange gave: the decoded reply and its bytes, or a failure. */
type Exchange = DohExchange<DecodedHttpsReply>;

/**
 * httpsRecordLookup asks `opts.resolver` for the HTTPS records of `hostname` (one query) and
 * returns the observation (see HttpsRecordsObservation): rcode; records parsed by
 * `decodeHttpsReply` (svcb.ts: CNAME chain of the answer followed, malformed records counted and
 * ignored); failure: rcode rules, NOERROR without a record → dns_no_answer, no reply within
 * `timeoutMs` → generic_timeout_error, socket/TLS errors via `classifyError`, a DoH status other
 * than 200, another content type or an undecodable body → dns_server_misbehaving; `signal`
 * aborted → interrupted. `failure_detail`: `rcode=N`, the raw error code, `HTTP <status>`, or
 * `truncated` when the reply had the TC bit (no retry over TCP). Never rejects for network
 * failures; throws only for a non-IP UDP server, a bad port or a non-https DoH URL (programmer errors).
 */
export async function httpsRecordLookup(hostname: string, opts: HttpsRecordLookupOptions): Promise<HttpsRecordsObservation> {
  const { resolver, clock } = opts;
  let address: string;
  if (resolver.kind === 'udp') {
    if (isIP(resolver.ip) === 0) throw new TypeError(`httpsRecordLookup: server ip is not an IP literal: ${resolver.ip}`);
    if (!Number.isInteger(resolver.port) || resolver.port < 1 || resolver.port > 65535) throw new RangeError(`httpsRecordLookup: bad port ${resolver.port}`);
    address = formatEndpoint(resolver.ip, resolver.port);
  } else {
    if (new URL(resolver.url).protocol !== 'https:') throw new TypeError(`httpsRecordLookup: not an https URL: ${resolver.url}`);
    address = resolver.url;
  }
  const t0 = clock.now();
  const deadline = createDeadline('dns_round_trip', opts.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS, opts.signal);
  let ex: Exchange;
  try {
    const exchange = resolver.kind === 'udp' ? udpExchange(hostname, resolver, deadline.signal) : dohExchange(hostname, new URL(resolver.url), opts.extraCa, deadline.signal);
    ex = await Promise.race([deadline.aborted, exchange]);
  } catch (err) {
    const c = classifyError(err, 'dns_round_trip');
    ex = { reply: null, raw: null, failure: c.failure, detail: c.detail };
  } finally {
    deadline.clear();
  }
  const { reply } = ex;
  let detail = ex.detail;
  if (reply !== null) detail = reply.truncated ? 'truncated' : reply.failure !== null && reply.rcode !== 0 ? `rcode=${reply.rcode}` : null;
  return {
    hostname,
    depth: opts.depth,
    engine: resolver.kind,
    resolver_address: address,
    rcode: reply?.rcode ?? null,
    failure: reply !== null ? reply.failure : ex.failure,
    failure_detail: detail,
    records: reply?.records.map(toReportRecord) ?? [],
    malformed: reply?.malformed ?? 0,
    raw_response: ex.raw !== null && ex.raw.length <= MAX_HTTPS_RAW_BYTES ? toBinary(ex.raw) : null,
    t0,
    t: clock.now(),
  };
}

/** toReportRecord: the report's shape of a parsed record (`ech_bytes` and `port` only when present). Pure. */
export function toReportRecord(r: SvcbRecord): HttpsRecord {
  return {
    priority: r.priority,
    target: r.target,
    alpn: r.alpn,
    ech: r.echBytes !== null,
    ...(r.echBytes !== null ? { ech_bytes: r.echBytes } : {}),
    ...(r.port !== null ? { port: r.port } : {}),
  };
}

/**
 * One UDP exchange on a fresh socket: resolves with the first reply whose id matches and that
 * decodes (others are ignored, as in dns-udp.ts); rejects with the socket error; `signal` ends it
 * (the caller's race turns that into the failure).
 */
function udpExchange(hostname: string, server: { ip: string; port: number }, signal: AbortSignal): Promise<Exchange> {
  const id = randomQueryId();
  const query = encodeHttpsQuery(hostname, id);
  return new Promise<Exchange>((resolve, reject) => {
    // Already aborted: no socket at all (the caller's race reports the abort).
    if (signal.aborted) return;
    const socket = dgram.createSocket(isIP(server.ip) === 6 ? 'udp6' : 'udp4');
    let done = false;
    const end = (): void => {
      done = true;
      signal.removeEventListener('abort', end);
      socket.removeAllListeners('message');
      socket.on('error', () => undefined);
      try {
        socket.close();
      } catch {
        // already closed
      }
    };
    signal.addEventListener('abort', end, { once: true });
    socket.on('error', (err) => {
      if (done) return;
      end();
      reject(err);
    });
    socket.on('message', (msg: Buffer) => {
      const reply = decodeHttpsReply(msg, hostname);
      if (done || reply === null || reply.id !== id) return;
      end();
      resolve({ reply, raw: msg, failure: null, detail: null });
    });
    // QUIRK (as dns-udp.ts): a failed connect calls back WITH the error instead of emitting 'error'.
    socket.connect(server.port, server.ip, (...args: unknown[]) => {
      if (done) return;
      if (args[0] instanceof Error) {
        end();
        reject(args[0]);
        return;
      }
      socket.send(query, (err) => {
        if (err && !done) {
          end();
          reject(err);
        }
      });
    });
  });
}

/** One RFC 8484 POST (id 0) through the shared DoH agent (dns-doh.ts `dohPost`). */
function dohExchange(hostname: string, url: URL, extraCa: string[] | undefined, signal: AbortSignal): Promise<Exchange> {
  return dohPost(url, encodeHttpsQuery(hostname, 0), extraCa, signal, (raw) => decodeHttpsReply(raw, hostname));
}
