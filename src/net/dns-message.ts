/**
 * DNS messages shared by the UDP (Do53) and DoH resolvers: query encoding, reply decoding into
 * OONI answers and failures, and the A+AAAA combination rule. Also the common lookup types.
 *
 * Sources: OONI `netxlite/dnsdecoder.go` (rcode → failure, "no matching RR" → dns_no_answer),
 * `netxlite/resolverparallel.go` (A+AAAA combination), docs/measurement-model.md
 */
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import type DnsPacket from 'dns-packet';
import type { Clock } from './clock.js';
import type { Failure } from '../model/failure.js';
import type { DnsAnswer, DnsQueryObservation } from '../model/observations.js';

/**
 * dns-packet, loaded on the first query encoded or reply decoded here: a run through the system
 * resolver with a helper never needs it (~25 ms of start-up, `npm run bench`).
 */
let codec: typeof DnsPacket | null = null;
/** dnsCodec: the dns-packet module, loaded on first use (see above). Never throws once installed. */
export function dnsCodec(): typeof DnsPacket {
  codec ??= createRequire(import.meta.url)('dns-packet') as typeof DnsPacket;
  return codec;
}

/**
 * LookupResult: what every resolver (`systemLookup`, `udpLookup`, `dohLookup`) resolves to.
 * `observations` are the query entries (one `ANY` for getaddrinfo; `A` then `AAAA` otherwise);
 * `addresses` are the unique IPv4 and IPv6 addresses in answer order (A first); `failure` is null
 * when at least one address was found.
 */
export interface LookupResult {
  observations: DnsQueryObservation[];
  addresses: string[];
  failure: Failure | null;
}

/**
 * LookupOptions: the options every resolver takes.
 * - `clock` (required): the measurement clock (`t0`/`t`).
 * - `timeoutMs` (optional, default 4000 ms, OONI LTE DNS timeout): budget of each query.
 * - `transactionId` (required): id written on every observation of this lookup.
 * - `depth` (required): redirect depth, also added as tag `depth=N`.
 * - `tags` (optional): extra tags, written before `depth=N` (e.g. `classic`).
 * - `signal` (optional): aborts the lookup; the failure is then `interrupted`.
 */
export interface LookupOptions {
  clock: Clock;
  timeoutMs?: number;
  transactionId: number;
  depth: number;
  tags?: string[];
  signal?: AbortSignal;
}

/** Default per-query DNS timeout in ms (OONI LTE: 4 s context, docs/measurement-model.md step 4). */
export const DEFAULT_DNS_TIMEOUT_MS = 4000;

/** The record types we query (A and AAAA, in that order, as OONI's ParallelResolver). */
export type QueryType = 'A' | 'AAAA';

/** A decoded reply: rcode (0-15), OONI answers (A/AAAA/CNAME), addresses of the queried type, failure. */
export interface DecodedReply {
  id: number;
  rcode: number;
  answers: DnsAnswer[];
  addresses: string[];
  failure: Failure | null;
}

/** tagsFor returns `[...tags, 'depth=N']` (OONI tag order: `classic` before `depth=N`). */
export function tagsFor(tags: string[] | undefined, depth: number): string[] {
  return [...(tags ?? []), `depth=${depth}`];
}

/** randomQueryId returns a random 16-bit DNS id (crypto-random, as OONI's `dns.Id()`). */
export function randomQueryId(): number {
  return randomInt(0, 65536);
}

/**
 * encodeQuery builds a DNS query (RD set, class IN) for `hostname` and `type` with the given `id`
 * (use 0 for DoH, RFC 8484 section 4.1). Throws only on an unencodable name (programmer error).
 */
export function encodeQuery(hostname: string, type: QueryType, id: number): Buffer {
  return dnsCodec().encode({
    type: 'query',
    id,
    flags: dnsCodec().RECURSION_DESIRED,
    questions: [{ type, name: hostname, class: 'IN' }],
  });
}

/**
 * decodeReply decodes a reply to a `type` query. rcode NXDOMAIN(3) → dns_nxdomain_error,
 * REFUSED(5) → dns_refused_error, SERVFAIL(2) → dns_servfail_error, other non-zero →
 * dns_server_misbehaving, NOERROR without a record of `type` → dns_no_answer (OONI
 * `dnsdecoder.go`). Returns null when the bytes are not a well-formed DNS response (caller ignores
 * them): undecodable, shorter than what they declare, or an A/AAAA record whose data is not an
 * address of that family. Never throws (property-tested: test/unit/net/dns-message.property.test.ts).
 */
export function decodeReply(raw: Buffer, type: QueryType): DecodedReply | null {
  let packet: ReturnType<typeof DnsPacket.decode>;
  try {
    packet = dnsCodec().decode(raw);
  } catch {
    return null;
  }
  // dns-packet does not check bounds: a reply cut inside a record decodes past the end (reading
  // `undefined` bytes, e.g. an A record "45.undefined.undefined.undefined"). Such a reply is as
  // malformed as one that throws.
  if ((dnsCodec().decode as { bytes?: number }).bytes === undefined || (dnsCodec().decode as { bytes: number }).bytes > raw.length) return null;
  if (packet.type !== 'response') return null;
  const rcode = (packet.flags ?? 0) & 0xf;
  const answers: DnsAnswer[] = [];
  const addresses: string[] = [];
  for (const rr of packet.answers ?? []) {
    const ttl = 'ttl' in rr && typeof rr.ttl === 'number' ? rr.ttl : null;
    if ((rr.type === 'A' || rr.type === 'AAAA') && (typeof rr.data !== 'string' || isIP(rr.data) !== (rr.type === 'A' ? 4 : 6))) return null;
    if (rr.type === 'A' && typeof rr.data === 'string') {
      answers.push({ answer_type: 'A', ipv4: rr.data, ttl });
      if (type === 'A') addresses.push(rr.data);
    } else if (rr.type === 'AAAA' && typeof rr.data === 'string') {
      answers.push({ answer_type: 'AAAA', ipv6: rr.data, ttl });
      if (type === 'AAAA') addresses.push(rr.data);
    } else if (rr.type === 'CNAME' && typeof rr.data === 'string') {
      answers.push({ answer_type: 'CNAME', hostname: rr.data, ttl });
    }
  }
  return { id: packet.id ?? 0, rcode, answers, addresses, failure: replyFailure(rcode, addresses.length) };
}

/**
 * replyFailure: the failure of a DNS reply with `rcode` carrying `records` records of the queried
 * type (OONI `netxlite` dnsoverudp/dnsovergetaddrinfo mapping): NXDOMAIN (3) dns_nxdomain_error,
 * REFUSED (5) dns_refused_error, SERVFAIL (2) dns_servfail_error, any other non-zero rcode
 * dns_server_misbehaving, NOERROR without a record dns_no_answer; null for an answer. Pure.
 */
export function replyFailure(rcode: number, records: number): Failure | null {
  if (rcode === 3) return 'dns_nxdomain_error';
  if (rcode === 5) return 'dns_refused_error';
  if (rcode === 2) return 'dns_servfail_error';
  if (rcode !== 0) return 'dns_server_misbehaving';
  return records === 0 ? 'dns_no_answer' : null;
}

/**
 * combineParallel merges the A and AAAA lookups of one resolver (OONI `ParallelResolver`):
 * addresses = A ∪ AAAA (A first, unique); failure = the A failure when both failed,
 * `dns_no_answer` when the union is empty, else null (an AAAA failure alone is not a failure).
 */
export function combineParallel(a: { observation: DnsQueryObservation; addresses: string[] }, aaaa: { observation: DnsQueryObservation; addresses: string[] }): LookupResult {
  const addresses = [...new Set([...a.addresses, ...aaaa.addresses])];
  let failure: Failure | null = null;
  if (a.observation.failure !== null && aaaa.observation.failure !== null) failure = a.observation.failure;
  else if (addresses.length === 0) failure = 'dns_no_answer';
  return { observations: [a.observation, aaaa.observation], addresses, failure };
}

/** toBinary wraps bytes as OONI binary data `{format: 'base64', data}`. */
export function toBinary(buf: Buffer): { format: 'base64'; data: string } {
  return { format: 'base64', data: buf.toString('base64') };
}
