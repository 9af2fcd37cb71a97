/**
 * systemLookup: the system resolver (getaddrinfo through `dns.promises.lookup`), recorded as OONI
 * records it: one `ANY` query with engine `getaddrinfo` and resolver_address `system`
 * (docs/measurement-model.md step 4; `netxlite/getaddrinfo*.go`).
 */
import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import { classifyError } from './failure.js';
import { createDeadline } from './deadline.js';
import { DEFAULT_DNS_TIMEOUT_MS, tagsFor, type LookupOptions, type LookupResult } from './dns-message.js';
import type { Failure } from '../model/failure.js';
import type { DnsAnswer, DnsQueryObservation } from '../model/observations.js';

/** The getaddrinfo seam: same shape as `dns.promises.lookup(host, {all: true, ...})`. */
export type GetaddrinfoFn = (hostname: string, options: { all: true; family: 0; verbatim: true }) => Promise<{ address: string; family: number }[]>;

/**
 * SystemLookupOptions: {@link LookupOptions} plus `getaddrinfo` (optional; default
 * `dns.promises.lookup`), the seam tests and the lab use instead of the OS resolver.
 */
export interface SystemLookupOptions extends LookupOptions {
  getaddrinfo?: GetaddrinfoFn;
}

const defaultGetaddrinfo: GetaddrinfoFn = (hostname, options) => dnsPromises.lookup(hostname, options);

/**
 * systemLookup resolves `hostname` with getaddrinfo (`family: 0`, resolver order kept).
 *
 * Resolves (never rejects for network failures) to a {@link LookupResult} with one observation:
 * query_type `ANY`, engine `getaddrinfo`, resolver_address `system`, answers A/AAAA with
 * `ttl: null`, `failure_detail` the raw code (e.g. `ENOTFOUND`, `EAI_AGAIN`). Failures:
 * errors classified by `classifyError(err, 'resolve')` (ENOTFOUND → dns_nxdomain_error, ...);
 * `timeoutMs` (default 4000 ms) elapsed → generic_timeout_error (the getaddrinfo thread keeps
 * running; its late result is ignored); a success with zero addresses → dns_no_answer
 * (OONI rule); `signal` aborted → interrupted.
 * Throws only if `hostname` is empty (programmer error).
 */
export async function systemLookup(hostname: string, opts: SystemLookupOptions): Promise<LookupResult> {
  if (hostname === '') throw new TypeError('systemLookup: empty hostname');
  const { clock } = opts;
  const t0 = clock.now();
  const deadline = createDeadline('resolve', opts.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS, opts.signal);
  const getaddrinfo = opts.getaddrinfo ?? defaultGetaddrinfo;
  let answers: DnsAnswer[] = [];
  let addresses: string[] = [];
  let failure: Failure | null = null;
  let detail: string | null = null;
  try {
    const entries = await Promise.race([getaddrinfo(hostname, { all: true, family: 0, verbatim: true }), deadline.aborted]);
    addresses = [...new Set(entries.map((e) => e.address))];
    answers = addresses.map((address): DnsAnswer =>
      isIP(address) === 6 ? { answer_type: 'AAAA', ipv6: address, ttl: null } : { answer_type: 'A', ipv4: address, ttl: null },
    );
    if (addresses.length === 0) failure = 'dns_no_answer';
  } catch (err) {
    ({ failure, detail } = classifyError(err, 'resolve'));
  } finally {
    deadline.clear();
  }
  const observation: DnsQueryObservation = {
    engine: 'getaddrinfo',
    resolver_address: 'system',
    hostname,
    query_type: 'ANY',
    answers,
    failure,
    failure_detail: detail,
    t0,
    t: clock.now(),
    transaction_id: opts.transactionId,
    depth: opts.depth,
    tags: tagsFor(opts.tags, opts.depth),
  };
  return { observations: [observation], addresses: failure === null ? addresses : [], failure };
}
