/**
 * The DNS-only control used when no helper is configured: the same name resolved through
 * DNS-over-HTTPS resolvers, which an on-path censor cannot forge (docs/helper-protocol.md).
 * DoH failures are never evidence of blocking (OONI: "DoH failures are never counted as blocking").
 */
import type { DnsReference } from '../model/index.js';
import type { Clock } from '../net/index.js';
import { dohLookup } from '../net/index.js';

/**
 * Default DoH resolvers (the providers of OONI `webconnectivityalgo/dnsoverhttps.go`), reached by
 * IP-literal URLs: no bootstrap through the system resolver, which may be the one tampering, so
 * DoH never goes to an address that resolver gave (docs/network-state.md). Each provider's
 * certificate names its anycast address (an IP SAN), so the handshake is verified as usual.
 */
export const DEFAULT_DOH_RESOLVERS: readonly string[] = [
  'https://8.8.8.8/dns-query',
  'https://1.1.1.1/dns-query',
  'https://9.9.9.9/dns-query',
];

/** Prefix of a DNS reference failure when no DoH resolver could be reached: the control is unavailable (not an outage, not DNS blocking). */
export const DNS_CONTROL_UNAVAILABLE = 'dns control unavailable';

/** Options of {@link resolveReference}. */
export interface DnsReferenceOptions {
  clock: Clock;
  /** Per-resolver budget in ms (default 4000, OONI's DNS timeout). */
  timeoutMs: number;
  extraCa?: string[];
  signal?: AbortSignal;
}

/** How long a resolver that could not be reached is skipped, ms (it is asked again after that). */
export const RESOLVER_RETRY_MS = 60_000;

/** Resolvers that could not be reached recently: URL → time (Date.now(), ms) until which they are asked last. */
const unreachableUntil = new Map<string, number>();

/** Records what a check outside {@link resolveReference} (the run's preflight) found: an unreachable resolver is asked last for a while. */
export function noteResolverReachable(url: string, reachable: boolean): void {
  if (reachable) unreachableUntil.delete(url);
  else unreachableUntil.set(url, Date.now() + RESOLVER_RETRY_MS);
}

/**
 * Resolves `hostname` with the first DoH resolver in list order that was not found unreachable
 * recently, and only when it cannot be reached, with the others at once (an offline machine must
 * not wait for each in turn). Returns the first answer, in list order, that a resolver itself gave
 * (a DNS reply with an rcode; an NXDOMAIN reply counts: it is what the resolver says). A transport
 * failure is `unknown_failure: dns control unavailable: DoH resolver unreachable (<failure>)`, and
 * that resolver is asked last for {@link RESOLVER_RETRY_MS}. When every resolver failed, returns the
 * last one's result (its `failure` says why); null when `resolvers` is empty.
 * Asking one resolver instead of all of them per target is a third of the default path's DoH
 * requests (docs/network-state.md, `npm run bench`).
 */
export async function resolveReference(hostname: string, resolvers: readonly string[], opts: DnsReferenceOptions): Promise<DnsReference | null> {
  if (resolvers.length === 0) return null;
  const now = Date.now();
  const healthy = resolvers.filter((u) => (unreachableUntil.get(u) ?? 0) <= now);
  const ordered = [...healthy, ...resolvers.filter((u) => !healthy.includes(u))];
  const ask = async (url: string): Promise<{ ref: DnsReference; answered: boolean }> => {
    const r = await dohLookup(hostname, { url, clock: opts.clock, timeoutMs: opts.timeoutMs, transactionId: 30001, depth: 0, ...(opts.extraCa ? { extraCa: opts.extraCa } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    // Only a reply that carries an rcode is the resolver's answer: an NXDOMAIN met while the
    // probe looked up the DoH server's own name (a censor blocking dns.google) is a transport
    // failure of that resolver, never an answer about the target.
    const answered = r.observations.some((o) => typeof o.rcode === 'number');
    const failure = r.failure !== null && !answered ? `unknown_failure: ${DNS_CONTROL_UNAVAILABLE}: DoH resolver unreachable (${r.failure})` : r.failure;
    if (!answered && opts.signal?.aborted !== true) unreachableUntil.set(url, Date.now() + RESOLVER_RETRY_MS);
    else if (answered) unreachableUntil.delete(url);
    return { ref: { resolver_address: url, failure, addrs: r.addresses }, answered };
  };
  const usable = (x: { ref: DnsReference; answered: boolean }): boolean => x.answered && (x.ref.failure === null || isAnswer(x.ref.failure));
  const first = await ask(ordered[0] as string);
  if (usable(first) || ordered.length === 1) return first.ref;
  const rest = await Promise.all(ordered.slice(1).map(ask));
  const results = [first, ...rest];
  return (results.find(usable) ?? results[results.length - 1])?.ref ?? null;
}

/** Failures that are an answer of the resolver rather than a failure to reach it. */
function isAnswer(failure: string): boolean {
  return failure === 'dns_nxdomain_error' || failure === 'dns_no_answer';
}
