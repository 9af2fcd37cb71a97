/**
 * dohLookup: DNS over HTTPS (RFC 8484, POST `application/dns-message`), A and AAAA in parallel,
 * through the Node https client (undici stays inside net/: net/undici.ts loads it).
 *
 * Sources: RFC 8484 (id 0, POST, media type), OONI `netxlite/dnsoverhttps.go` (non-200 or wrong
 * content type → the server misbehaves), `resolverparallel.go`, docs/measurement-model.md step 4.
 */
import https from 'node:https';
import tls from 'node:tls';
import { classifyError } from './failure.js';
import { createDeadline } from './deadline.js';
import { combineParallel, decodeReply, DEFAULT_DNS_TIMEOUT_MS, encodeQuery, tagsFor, toBinary, type DecodedReply, type LookupOptions, type LookupResult, type QueryType } from './dns-message.js';
import type { Failure } from '../model/failure.js';
import type { DnsQueryObservation } from '../model/observations.js';

/** Largest DoH response body we read, in bytes (a DNS message is at most 65535 bytes). */
const MAX_DOH_RESPONSE_BYTES = 65535;

/**
 * DohLookupOptions: {@link LookupOptions} plus
 * - `url` (required): the DoH endpoint, e.g. `https://dns.google/dns-query` (must be https);
 * - `extraCa` (optional): PEM certificates ADDED to Node's bundled Mozilla roots (never replaces
 *   them, never disables verification).
 */
export interface DohLookupOptions extends LookupOptions {
  url: string;
  extraCa?: string[];
}

/**
 * dohLookup resolves `hostname` with two RFC 8484 POSTs (A and AAAA, DNS id 0) to `opts.url`.
 *
 * Observations: engine `doh`, resolver_address = the URL, rcode, answers, raw_response.
 * Failures per query: rcode/no-answer rules as in `decodeReply`; HTTP status other than 200, a
 * content type other than `application/dns-message` or an undecodable body →
 * dns_server_misbehaving (detail `HTTP <status>` / the content type / `bad message`);
 * transport errors via `classifyError(err, 'dns_round_trip')` (connection_refused,
 * ssl_unknown_authority, ...); `timeoutMs` (default 4000 ms, per query, covering connect, TLS,
 * request and body) → generic_timeout_error; `signal` aborted → interrupted.
 * Combined with `combineParallel`. Never rejects for network failures; throws on a non-https URL
 * (programmer error).
 */
export async function dohLookup(hostname: string, opts: DohLookupOptions): Promise<LookupResult> {
  const url = new URL(opts.url);
  if (url.protocol !== 'https:') throw new TypeError(`dohLookup: not an https URL: ${opts.url}`);
  const [a, aaaa] = await Promise.all([dohQuery(hostname, 'A', url, opts), dohQuery(hostname, 'AAAA', url, opts)]);
  return combineParallel(a, aaaa);
}

type DohOutcome = DohExchange<DecodedReply>;

async function dohQuery(hostname: string, type: QueryType, url: URL, opts: DohLookupOptions): Promise<{ observation: DnsQueryObservation; addresses: string[] }> {
  const { clock } = opts;
  const t0 = clock.now();
  const deadline = createDeadline('dns_round_trip', opts.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS, opts.signal);
  let outcome: DohOutcome;
  try {
    outcome = await Promise.race([dohPost(url, encodeQuery(hostname, type, 0), opts.extraCa, deadline.signal, (raw) => decodeReply(raw, type)), deadline.aborted]);
  } catch (err) {
    const c = classifyError(err, 'dns_round_trip');
    outcome = { reply: null, raw: null, failure: c.failure, detail: c.detail };
  } finally {
    deadline.clear();
  }
  const { reply } = outcome;
  const observation: DnsQueryObservation = {
    engine: 'doh',
    resolver_address: opts.url,
    hostname,
    query_type: type,
    answers: reply?.answers ?? [],
    failure: reply !== null ? reply.failure : outcome.failure,
    failure_detail: reply !== null ? (reply.failure !== null ? `rcode=${reply.rcode}` : null) : outcome.detail,
    rcode: reply?.rcode ?? null,
    raw_response: outcome.raw !== null ? toBinary(outcome.raw) : null,
    t0,
    t: clock.now(),
    transaction_id: opts.transactionId,
    depth: opts.depth,
    tags: tagsFor(opts.tags, opts.depth),
  };
  return { observation, addresses: reply !== null && reply.failure === null ? reply.addresses : [] };
}

/** Idle keep-alive sockets kept per resolver, and the most sockets open to one resolver at once. */
const DOH_MAX_FREE_SOCKETS = 8;
const DOH_MAX_SOCKETS = 32;

const agents = new Map<string, https.Agent>();

/**
 * One keep-alive agent per (resolver origin, extra CA set), with one TLS context built once: a
 * context per query (Node's `ca` option) parsed every root certificate again, about 0.5 CPU-s and
 * megabytes per target at -c 64 (docs/network-state.md, `npm run bench`). Queries reuse the
 * resolver's connections; idle sockets do not keep the process alive (Node unrefs them).
 * Bounded: at most 16 agents (cleared when full; a cleared agent finishes its requests).
 */
export function dohAgentFor(url: URL, extraCa: string[] | undefined): https.Agent {
  const key = `${url.origin}\n${(extraCa ?? []).join('\n')}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    if (agents.size >= 16) {
      for (const a of agents.values()) a.destroy();
      agents.clear();
    }
    const secureContext = extraCa !== undefined && extraCa.length > 0 ? tls.createSecureContext({ ca: [...tls.rootCertificates, ...extraCa] }) : undefined;
    agent = new https.Agent({
      keepAlive: true,
      maxSockets: DOH_MAX_SOCKETS,
      maxFreeSockets: DOH_MAX_FREE_SOCKETS,
      scheduling: 'lifo',
      ...(secureContext !== undefined ? { secureContext } : {}),
    });
    agents.set(key, agent);
  }
  return agent;
}

/**
 * DohExchange: what one DoH POST gave: the decoded reply (`R`) and the response bytes, or a
 * failure (`dns_server_misbehaving` with `detail`: `HTTP <status>`, `content-type <type>`,
 * `response too large`, `bad message`).
 */
export interface DohExchange<R> {
  reply: R | null;
  raw: Buffer | null;
  failure: Failure | null;
  detail: string | null;
}

/**
 * dohPost sends one RFC 8484 POST of the DNS message `body` to `url` through the shared agent
 * ({@link dohAgentFor}) and decodes a 200 `application/dns-message` answer (at most
 * MAX_DOH_RESPONSE_BYTES bytes) with `decode` (null: not a usable reply). Resolves with the
 * outcome; rejects with the transport error (the caller classifies it) or when `signal` aborts.
 */
export function dohPost<R>(url: URL, body: Buffer, extraCa: string[] | undefined, signal: AbortSignal, decode: (raw: Buffer) => R | null): Promise<DohExchange<R>> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: 'POST',
      agent: dohAgentFor(url, extraCa),
      signal,
      headers: { 'content-type': 'application/dns-message', accept: 'application/dns-message', 'content-length': String(body.length) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_DOH_RESPONSE_BYTES) {
          res.destroy();
          resolve({ reply: null, raw: null, failure: 'dns_server_misbehaving', detail: 'response too large' });
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const contentType = (res.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        if (res.statusCode !== 200) {
          resolve({ reply: null, raw, failure: 'dns_server_misbehaving', detail: `HTTP ${res.statusCode ?? 0}` });
        } else if (contentType !== 'application/dns-message') {
          resolve({ reply: null, raw, failure: 'dns_server_misbehaving', detail: `content-type ${contentType}` });
        } else {
          const reply = decode(raw);
          resolve(reply === null ? { reply: null, raw, failure: 'dns_server_misbehaving', detail: 'bad message' } : { reply, raw, failure: null, detail: null });
        }
      });
    });
    req.end(body);
  });
}
