/**
 * The DNS-only control used when no helper is configured: the same name resolved through
 * DNS-over-HTTPS resolvers, which an on-path censor cannot forge (field-notes section 3).
 * DoH failures are never evidence of blocking (OONI: "DoH failures are never counted as blocking").
 */
import type { DnsReference } from '../model/index.js';
import type { Clock } from '../net/index.js';
import { dohLookup } from '../net/index.js';

/** Default DoH resolvers (OONI `webconnectivityalgo/dnsoverhttps.go` uses these providers). */
export const DEFAULT_DOH_RESOLVERS: readonly string[] = [
  'https://dns.google/dns-query',
  'https://cloudflare-dns.com/dns-query',
  'https://dns.quad9.net/dns-query',
];

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
 * order, that is not a transport failure (an NXDOMAIN answer counts: it is what the resolver says).
 * When every resolver failed, returns the last one's result (its `failure` says why); null when
 * `resolvers` is empty.
 */
export async function resolveReference(hostname: string, resolvers: readonly string[], opts: DnsReferenceOptions): Promise<DnsReference | null> {
  // All resolvers are asked at once (an offline machine must not wait for each in turn); the
  // first one in list order that answered wins.
  const results = await Promise.all(
    resolvers.map(async (url): Promise<DnsReference> => {
      const r = await dohLookup(hostname, { url, clock: opts.clock, timeoutMs: opts.timeoutMs, transactionId: 30001, depth: 0, ...(opts.extraCa ? { extraCa: opts.extraCa } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      return { resolver_address: url, failure: r.failure, addrs: r.addresses };
    }),
  );
  return results.find((r) => r.failure === null || isAnswer(r.failure)) ?? results[results.length - 1] ?? null;
}

/** Failures that are an answer of the resolver rather than a failure to reach it. */
function isAnswer(failure: string): boolean {
  return failure === 'dns_nxdomain_error' || failure === 'dns_no_answer';
}
