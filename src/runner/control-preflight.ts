/**
 * Control preflight (docs/network-state.md "Control health is not network health"): before any
 * target is measured, check that the control can answer. A `--control` helper that cannot be
 * reached is reported at once (the CLI stops unless the user asks to go on); DoH resolvers that
 * cannot be reached make the DNS control "unavailable", which is said once and is neither an
 * outage nor DNS blocking of any target. Never throws for network failures.
 */
import { createClock, dohLookup } from '../net/index.js';
import { measureUrl } from '../flows/index.js';
import { noteResolverReachable } from '../control/dns-reference.js';

/** Name asked of each DoH resolver: any reply with an rcode proves the resolver answers. */
export const PREFLIGHT_NAME = 'example.com';

/** The helper check: reachable when it returned any HTTP response. */
export interface HelperPreflight {
  url: string;
  reachable: boolean;
  /** Our failure string when unreachable (e.g. `connection_refused`, `generic_timeout_error`), else null. */
  failure: string | null;
  /** HTTP status the helper answered with, or null. */
  status: number | null;
}

/** The DoH check: per resolver, whether it answered. */
export interface DohPreflight {
  resolvers: { url: string; reachable: boolean; failure: string | null }[];
  /** True when no resolver answered: the DNS control is unavailable. */
  unavailable: boolean;
}

/** Options: per-check budget in ms (default 5000), extra CA PEMs, abort signal. */
export interface PreflightOptions {
  timeoutMs?: number;
  extraCa?: string[];
  signal?: AbortSignal;
}

/**
 * checkHelper GETs the helper's URL once (no redirects; the helper's own address may be loopback or
 * private, so it is dialed whatever it is: the user chose it). Any HTTP response means the helper
 * is reachable (the helper protocol is a POST; a GET answer proves the server is there).
 */
export async function checkHelper(url: string, opts: PreflightOptions = {}): Promise<HelperPreflight> {
  const ms = opts.timeoutMs ?? 5000;
  const m = await measureUrl(url, {
    resolver: { kind: 'system' },
    clock: createClock(),
    timeouts: { dnsMs: ms, connectMs: ms, tlsMs: ms, httpMs: ms },
    maxBodyBytes: 1024,
    maxRedirects: 0,
    dialLoopback: true,
    ...(opts.extraCa !== undefined && opts.extraCa.length > 0 ? { extraCa: opts.extraCa } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
  const hop = m.hops[0];
  const response = hop?.request?.response ?? null;
  if (response != null) return { url, reachable: true, failure: null, status: response.code };
  return { url, reachable: false, failure: hop?.failure ?? 'unknown_failure: no response', status: null };
}

/**
 * checkDohResolvers asks every resolver for {@link PREFLIGHT_NAME} in parallel (this also opens the
 * keep-alive connection the run then reuses). A resolver answered when any of its replies carries
 * an rcode; transport failures (timeouts, refused, certificate errors) mean it cannot be reached.
 */
export async function checkDohResolvers(urls: readonly string[], opts: PreflightOptions = {}): Promise<DohPreflight> {
  const resolvers = await Promise.all(
    urls.map(async (url) => {
      const r = await dohLookup(PREFLIGHT_NAME, {
        url,
        clock: createClock(),
        timeoutMs: opts.timeoutMs ?? 5000,
        transactionId: 1,
        depth: 0,
        tags: ['preflight'],
        ...(opts.extraCa !== undefined && opts.extraCa.length > 0 ? { extraCa: opts.extraCa } : {}),
        ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
      });
      const answered = r.observations.some((o) => typeof o.rcode === 'number');
      noteResolverReachable(url, answered);
      return { url, reachable: answered, failure: answered ? null : r.failure };
    }),
  );
  return { resolvers, unavailable: resolvers.length > 0 && resolvers.every((r) => !r.reachable) };
}
