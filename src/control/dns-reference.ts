/**
 * The DNS-only control used when no helper is configured: the same name resolved through
 * DNS-over-HTTPS resolvers, which an on-path censor cannot forge (field-notes section 3).
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

/**
 * Resolves `hostname` with every DoH resolver in parallel and returns the first answer, in list
 * order, that the resolver itself gave (a DNS reply with an rcode; an NXDOMAIN reply counts: it is
 * what the resolver says). A transport failure is `unknown_failure: DoH resolver unreachable (<failure>)`.
 * When every resolver failed, returns the last one's result (its `failure` says why); null when
 * `resolvers` is empty.
 */
export async function resolveReference(hostname: string, resolvers: readonly string[], opts: DnsReferenceOptions): Promise<DnsReference | null> {
  // All resolvers are asked at once (an offline machine must not wait for each in turn); the
  // first one in list order that answered wins.
  const results = await Promise.all(
    resolvers.map(async (url): Promise<{ ref: DnsReference; answered: boolean }> => {
      const r = await dohLookup(hostname, { url, clock: opts.clock, timeoutMs: opts.timeoutMs, transactionId: 30001, depth: 0, ...(opts.extraCa ? { extraCa: opts.extraCa } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      // Only a reply that carries an rcode is the resolver's answer: an NXDOMAIN met while the
      // probe looked up the DoH server's own name (a censor blocking dns.google) is a transport
      // failure of that resolver, never an answer about the target.
      const answered = r.observations.some((o) => typeof o.rcode === 'number');
      const failure = r.failure !== null && !answered ? `unknown_failure: ${DNS_CONTROL_UNAVAILABLE}: DoH resolver unreachable (${r.failure})` : r.failure;
      return { ref: { resolver_address: url, failure, addrs: r.addresses }, answered };
    }),
  );
  const usable = results.find((r) => r.answered && (r.ref.failure === null || isAnswer(r.ref.failure)));
  return (usable ?? results[results.length - 1])?.ref ?? null;
}

/** Failures that are an answer of the resolver rather than a failure to reach it. */
function isAnswer(failure: string): boolean {
  return failure === 'dns_nxdomain_error' || failure === 'dns_no_answer';
}
