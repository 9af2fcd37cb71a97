/**
 * Resolver identity (docs/measurement-model.md, "Resolver identity"): which resolver the DNS step
 * measured. Once per run, with a short timeout: the configured nameservers (/etc/resolv.conf for
 * the system resolver) and the egress address of the resolver from a whoami lookup
 * (`whoami.akamai.net` A: Akamai's authoritative servers answer with the address the query came
 * from), with its ASN. A well-known public resolver (Google, Cloudflare, Quad9, OpenDNS, ...)
 * means the ISP's resolver was not measured.
 */
import type { ResolverIdentity } from '../model/index.js';
import type { ResolverSpec } from '../flows/index.js';
import { createClock, dohLookup, parseResolvConf, readSystemResolvConf, systemLookup, udpLookup, type GetaddrinfoFn, type LookupResult } from '../net/index.js';
import { parseIp } from '../model/ip.js';

/** parseResolvConf moved to src/net/resolv-conf.ts (the flow's HTTPS-record query reads it too). */
export { parseResolvConf };

/** The whoami name asked (A record = the egress address of the resolver). */
export const WHOAMI_NAME = 'whoami.akamai.net';
/** Budget of the whoami lookup, ms: short, it runs once before the first target. */
export const WHOAMI_TIMEOUT_MS = 2000;

/**
 * Anycast service addresses of well-known public resolvers, and their operators. Sources: the
 * operators' pages (developers.google.com/speed/public-dns, one.one.one.one, quad9.net,
 * opendns.com, adguard-dns.io, controld.com, cleanbrowsing.org, yandex.com/dns).
 */
const PUBLIC_RESOLVER_ADDRESSES: ReadonlyMap<string, string> = new Map([
  ['8.8.8.8', 'Google Public DNS'], ['8.8.4.4', 'Google Public DNS'], ['2001:4860:4860::8888', 'Google Public DNS'], ['2001:4860:4860::8844', 'Google Public DNS'],
  ['1.1.1.1', 'Cloudflare'], ['1.0.0.1', 'Cloudflare'], ['2606:4700:4700::1111', 'Cloudflare'], ['2606:4700:4700::1001', 'Cloudflare'],
  ['1.1.1.2', 'Cloudflare'], ['1.0.0.2', 'Cloudflare'], ['1.1.1.3', 'Cloudflare'], ['1.0.0.3', 'Cloudflare'],
  ['9.9.9.9', 'Quad9'], ['149.112.112.112', 'Quad9'], ['9.9.9.10', 'Quad9'], ['9.9.9.11', 'Quad9'], ['2620:fe::fe', 'Quad9'], ['2620:fe::9', 'Quad9'],
  ['208.67.222.222', 'OpenDNS'], ['208.67.220.220', 'OpenDNS'], ['2620:119:35::35', 'OpenDNS'], ['2620:119:53::53', 'OpenDNS'],
  ['94.140.14.14', 'AdGuard DNS'], ['94.140.15.15', 'AdGuard DNS'],
  ['76.76.2.0', 'Control D'], ['76.76.10.0', 'Control D'],
  ['185.228.168.9', 'CleanBrowsing'], ['185.228.169.9', 'CleanBrowsing'],
  ['77.88.8.8', 'Yandex DNS'], ['77.88.8.1', 'Yandex DNS'],
]);

/** Autonomous systems whose resolvers' egress addresses identify a public resolver operator. */
const PUBLIC_RESOLVER_ASNS: ReadonlyMap<number, string> = new Map([
  [15169, 'Google Public DNS'],
  [13335, 'Cloudflare'],
  [19281, 'Quad9'],
  [36692, 'OpenDNS'],
  [212772, 'AdGuard DNS'],
]);

/** publicResolverName: the operator of a well-known public resolver address, or null. Pure. */
export function publicResolverName(ip: string): string | null {
  const addr = parseIp(ip);
  return addr === null ? null : (PUBLIC_RESOLVER_ADDRESSES.get(addr.toString()) ?? null);
}

/** Options of {@link identifyResolver}. */
export interface IdentifyResolverOptions {
  /** IP to ASN (0 unknown). */
  asnLookup: (ip: string) => number;
  /** Budget of the whoami lookup, ms (default WHOAMI_TIMEOUT_MS). */
  timeoutMs?: number;
  /** resolv.conf reader (tests); default reads /etc/resolv.conf, '' when unreadable. */
  readResolvConf?: () => Promise<string>;
  extraCa?: string[];
  signal?: AbortSignal;
  /** The getaddrinfo seam of the system resolver (tests). */
  getaddrinfo?: GetaddrinfoFn;
}

async function whoami(resolver: ResolverSpec, opts: IdentifyResolverOptions): Promise<LookupResult> {
  const common = { clock: createClock(), timeoutMs: opts.timeoutMs ?? WHOAMI_TIMEOUT_MS, transactionId: 1, depth: 0, tags: ['resolver_identity'], ...(opts.signal ? { signal: opts.signal } : {}) };
  switch (resolver.kind) {
    case 'system':
      return systemLookup(WHOAMI_NAME, { ...common, ...(opts.getaddrinfo ? { getaddrinfo: opts.getaddrinfo } : {}) });
    case 'udp':
      return udpLookup(WHOAMI_NAME, { ...common, server: { ip: resolver.ip, port: resolver.port }, lateReplyWindowMs: 0 });
    case 'doh':
      return dohLookup(WHOAMI_NAME, { ...common, url: resolver.url, ...(opts.extraCa ? { extraCa: opts.extraCa } : {}) });
  }
}

/**
 * identifyResolver finds the identity of the probe's resolver (see ResolverIdentity). Never
 * throws: an unreadable resolv.conf gives `configured: []`, a failed whoami lookup `egress.failure`
 * (a failure string) with `ip` null and `asn` 0.
 */
export async function identifyResolver(resolver: ResolverSpec, opts: IdentifyResolverOptions): Promise<ResolverIdentity> {
  const readConf = opts.readResolvConf ?? readSystemResolvConf;
  const configured = resolver.kind === 'system' ? parseResolvConf(await readConf()) : resolver.kind === 'udp' ? [resolver.ip] : [resolver.url];
  const r = await whoami(resolver, opts).catch((e: unknown) => ({ addresses: [], failure: `unknown_failure: ${e instanceof Error ? e.message : String(e)}`, observations: [] }) as LookupResult);
  const ip = r.failure === null ? (r.addresses.find((a) => parseIp(a)?.kind() === 'ipv4') ?? r.addresses[0] ?? null) : null;
  const asn = ip !== null ? opts.asnLookup(ip) : 0;
  const byAsn = PUBLIC_RESOLVER_ASNS.get(asn) ?? null;
  const byAddress = configured.map(publicResolverName).find((n) => n !== null) ?? (ip !== null ? publicResolverName(ip) : null);
  const publicName = byAddress ?? byAsn;
  return {
    kind: resolver.kind,
    configured,
    egress: {
      method: WHOAMI_NAME,
      // The egress address is kept only when it is a public operator's: a resolver on the
      // volunteer's own line would put the volunteer's address into the report.
      ip: ip !== null && (byAsn !== null || publicResolverName(ip) !== null) ? ip : null,
      asn,
      failure: r.failure ?? (ip === null ? 'dns_no_answer' : null),
    },
    public_resolver: publicName,
  };
}
