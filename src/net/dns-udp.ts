/**
 * udpLookup: DNS over UDP (Do53) with dns-packet, A and AAAA in parallel, a fresh socket per query
 * (some censors blackhole the client port), and a late-reply window that records replies arriving
 * after the first one (injected answers race the real one).
 *
 * Sources: OONI `netxlite/dnsoverudp.go` (fresh socket, keep listening for late replies),
 * webconnectivitylte `dnsresolvers.go` (500 ms window → `x_dns_duplicate_responses`),
 * `resolverparallel.go` (combination), docs/measurement-model.md step 4 and section 4.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { classifyError } from './failure.js';
import { createDeadline } from './deadline.js';
import { formatEndpoint } from './endpoint.js';
import { combineParallel, decodeReply, DEFAULT_DNS_TIMEOUT_MS, encodeQuery, randomQueryId, tagsFor, toBinary, type DecodedReply, type LookupOptions, type LookupResult, type QueryType } from './dns-message.js';
import type { Failure } from '../model/failure.js';
import type { DnsLateReply, DnsQueryObservation } from '../model/observations.js';

/** Default late-reply window in ms (OONI LTE waits 500 ms for late or duplicate replies). */
export const DEFAULT_LATE_REPLY_WINDOW_MS = 500;

/**
 * UdpLookupOptions: {@link LookupOptions} plus
 * - `server` (required): the resolver `{ip, port}` (IPv4 or IPv6 literal, port 1-65535);
 * - `lateReplyWindowMs` (optional, default 500 ms): how long to keep listening after the first reply.
 */
export interface UdpLookupOptions extends LookupOptions {
  server: { ip: string; port: number };
  lateReplyWindowMs?: number;
}

/**
 * udpLookup resolves `hostname` by sending an A and an AAAA query (random ids, one fresh UDP
 * socket each) to `opts.server`, in parallel.
 *
 * Each query: the first reply whose id matches is THE reply (rcode, answers, raw_response, `t`);
 * replies with a wrong id or undecodable bytes are ignored; further matching replies within
 * `lateReplyWindowMs` go to `late_replies` (each with its own `t`, rcode, answers, raw bytes).
 * Failures per query: rcode NXDOMAIN → dns_nxdomain_error, REFUSED → dns_refused_error,
 * SERVFAIL → dns_servfail_error, other non-zero → dns_server_misbehaving, NOERROR without a
 * record of the queried type → dns_no_answer; no reply within `timeoutMs` (default 4000 ms) →
 * generic_timeout_error; socket errors (e.g. ICMP port unreachable → connection_refused) via
 * `classifyError(err, 'dns_round_trip')`; `signal` aborted → interrupted.
 * Combined: see `combineParallel` (A ∪ AAAA; A failure when both fail; dns_no_answer when empty).
 * Never rejects for network failures; throws only on a non-IP server or bad port (programmer error).
 */
export async function udpLookup(hostname: string, opts: UdpLookupOptions): Promise<LookupResult> {
  if (isIP(opts.server.ip) === 0) throw new TypeError(`udpLookup: server ip is not an IP literal: ${opts.server.ip}`);
  if (!Number.isInteger(opts.server.port) || opts.server.port < 1 || opts.server.port > 65535) throw new RangeError(`udpLookup: bad port ${opts.server.port}`);
  const [a, aaaa] = await Promise.all([udpQuery(hostname, 'A', opts), udpQuery(hostname, 'AAAA', opts)]);
  return combineParallel(a, aaaa);
}

function udpQuery(hostname: string, type: QueryType, opts: UdpLookupOptions): Promise<{ observation: DnsQueryObservation; addresses: string[] }> {
  const { clock, server } = opts;
  const t0 = clock.now();
  const id = randomQueryId();
  const query = encodeQuery(hostname, type, id);
  const windowMs = opts.lateReplyWindowMs ?? DEFAULT_LATE_REPLY_WINDOW_MS;
  const deadline = createDeadline('dns_round_trip', opts.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS, opts.signal);
  const socket = dgram.createSocket(isIP(server.ip) === 6 ? 'udp6' : 'udp4');

  return new Promise((resolve) => {
    let first: { reply: DecodedReply; raw: Buffer; t: number } | null = null;
    let failure: Failure | null = null;
    let detail: string | null = null;
    let tEnd = t0;
    const late: DnsLateReply[] = [];
    let windowTimer: NodeJS.Timeout | undefined;
    let done = false;

    const finish = (): void => {
      if (done) return;
      done = true;
      deadline.clear();
      if (windowTimer !== undefined) clearTimeout(windowTimer);
      socket.removeAllListeners('message');
      socket.on('error', () => undefined);
      try {
        socket.close();
      } catch {
        // already closed
      }
      const reply = first?.reply ?? null;
      const observation: DnsQueryObservation = {
        engine: 'udp',
        resolver_address: formatEndpoint(server.ip, server.port),
        hostname,
        query_type: type,
        answers: reply?.answers ?? [],
        failure: reply !== null ? reply.failure : failure,
        failure_detail: reply !== null ? (reply.failure !== null ? `rcode=${reply.rcode}` : null) : detail,
        rcode: reply?.rcode ?? null,
        raw_response: first !== null ? toBinary(first.raw) : null,
        late_replies: late,
        t0,
        t: first?.t ?? tEnd,
        transaction_id: opts.transactionId,
        depth: opts.depth,
        tags: tagsFor(opts.tags, opts.depth),
      };
      resolve({ observation, addresses: reply !== null && reply.failure === null ? reply.addresses : [] });
    };

    const fail = (err: unknown): void => {
      if (done) return;
      if (first !== null) {
        finish();
        return;
      }
      ({ failure, detail } = classifyError(err, 'dns_round_trip'));
      tEnd = clock.now();
      finish();
    };

    deadline.aborted.catch((reason: unknown) => {
      // The overall timeout only matters before the first reply; after it the window timer ends the query.
      if (first === null) fail(reason);
    });

    socket.on('error', fail);
    socket.on('message', (msg: Buffer) => {
      const t = clock.now();
      const reply = decodeReply(msg, type);
      if (reply === null || reply.id !== id) return;
      if (first === null) {
        first = { reply, raw: msg, t };
        deadline.clear();
        windowTimer = setTimeout(finish, windowMs);
        return;
      }
      late.push({ t, rcode: reply.rcode, answers: reply.answers, raw_response: toBinary(msg) });
    });
    // QUIRK: on a failed connect (e.g. ENETUNREACH with no route) Node calls this callback WITH the
    // error instead of emitting 'error'; sending then would throw ERR_SOCKET_BAD_PORT.
    socket.connect(server.port, server.ip, (...args: unknown[]) => {
      if (done) return;
      if (args[0] instanceof Error) {
        fail(args[0]);
        return;
      }
      socket.send(query, (err) => {
        if (err) fail(err);
      });
    });
  });
}
