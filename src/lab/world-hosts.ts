import type { HttpsRecordSpec } from './https-record.js';

/**
 * world-hosts: the lab's address plan and its starting DNS database, from docs/lab.md
 * and 13 (the same public IPs as OONI's netemx simulation, so ASN and bogon logic see real-looking
 * addresses). Data only.
 */

/** The hostile TLS names (src/lab/hostile.ts), `<behaviour>.tls.hostile-lab.net`. */
export const HOSTILE_TLS_NAMES: readonly string[] = ['stall', 'half-hello', 'plaintext', 'reset', 'hugechain', 'garbage-record'].map((l) => `${l}.tls.hostile-lab.net`);

/** DnsRecord is one name's entry in a resolver table: A/AAAA addresses and an optional CNAME (chased). */
export interface DnsRecord {
  /** IPv4 addresses (A), TTL 3600. Optional; default none. */
  a?: string[];
  /** IPv6 addresses (AAAA). Optional; default none, so AAAA gets an empty NOERROR (docs/lab.md). */
  aaaa?: string[];
  /**
   * A CNAME target: answered as a chain, the CNAME then the target's records (dns-server.ts
   * chainAnswers); `a`/`aaaa` beside it are used only when the target has no entry. Optional.
   */
  cname?: string;
  /**
   * HTTPS records (type 65, RFC 9460) of the name, e.g. `[{priority: 1, target: '.', alpn: ['h2', 'h3'],
   * ech: '<base64>'}]` (src/lab/https-record.ts). Optional; default none (an empty NOERROR).
   */
  https?: HttpsRecordSpec[];
}

/** DnsTable maps a lower-case name (no trailing dot) to its record. A missing name is NXDOMAIN. */
export type DnsTable = Record<string, DnsRecord>;

/** ISP_RESOLVER is the censored ISP resolver the probe's system resolver uses (docs/lab.md). */
export const ISP_RESOLVER = '130.192.3.21';
/** CLEAN_RESOLVER is the uncensored "root" resolver used by servers and the helper (docs/lab.md). */
export const CLEAN_RESOLVER = '193.0.14.129';
/** HELPER_ADDRESS is 0.th.ooni.org, where the lab's test helper listens (docs/lab.md). */
export const HELPER_ADDRESS = '68.183.70.80';
/** PUBLIC_RESOLVERS answer UDP 53 from the global table, like the clean resolver (docs/lab.md). */
export const PUBLIC_RESOLVERS = ['8.8.8.8', '8.8.4.4', '9.9.9.9', '149.112.112.112', '1.1.1.1', '1.0.0.1'] as const;

/** Well-known server addresses of docs/lab.md */
export const HOSTS = {
  example: '93.184.216.34',
  bitly: '67.199.248.11',
  badssl: '104.154.89.105',
  yandex: '5.255.255.80',
  largefile: '52.35.36.75',
  cloudflareCache: '104.16.132.229',
  httpbin: '172.67.144.64',
  blockpage: '83.224.65.41',
  /** A news site whose page changes on every request (ours, not docs/lab.md: dynamic content). */
  news: '151.101.1.140',
  /** The hostile servers (ours, src/lab/hostile.ts): HTTP by path, TLS by SNI. */
  hostile: '45.79.20.66',
  ispProxy: '130.192.182.17',
  testHelpers: ['68.183.70.80', '137.184.235.44', '178.62.195.24', '209.97.183.73', '52.85.15.84'],
  ooniApi: '162.55.247.208',
  geoip: '185.125.188.132',
} as const;

/**
 * The addresses of the public services the baseline checks expect (src/lab/public-services.ts;
 * ours, not docs/lab.md): Android's and Google's `generate_204`, Apple's captive-portal page.
 */
export const PUBLIC_SERVICE_HOSTS = {
  gstatic: '142.250.180.3',
  google: '142.250.180.4',
  apple: '17.253.109.201',
} as const;

/** WORLD_ADDRESSES lists every address added as /32 on the world namespace's `lo`. */
export const WORLD_ADDRESSES: readonly string[] = [
  HOSTS.example,
  HOSTS.bitly,
  HOSTS.badssl,
  HOSTS.yandex,
  HOSTS.largefile,
  HOSTS.cloudflareCache,
  HOSTS.httpbin,
  HOSTS.blockpage,
  HOSTS.news,
  HOSTS.hostile,
  HOSTS.ispProxy,
  ...HOSTS.testHelpers,
  HOSTS.ooniApi,
  HOSTS.geoip,
  ISP_RESOLVER,
  CLEAN_RESOLVER,
  ...PUBLIC_RESOLVERS,
  ...Object.values(PUBLIC_SERVICE_HOSTS),
];

/** Certificate names per HTTPS host (docs/lab.md); the first name is the CN. */
export const CERT_NAMES = {
  example: ['www.example.com', 'example.com', 'www.example.org', 'example.org'],
  bitly: ['bit.ly', 'bitly.com'],
  yandex: ['yandex.com', 'ya.ru', 'xn--d1acpjx3f.xn--p1ai'],
  largefile: ['largefile.com', 'www.largefile.com'],
  testHelper: ['0.th.ooni.org', '1.th.ooni.org', '2.th.ooni.org', '3.th.ooni.org', 'd33d1gs9kpq1c5.cloudfront.net'],
  /** badssl wrong.host: a trusted certificate for the WRONG name (hyphen), docs/lab.md */
  badsslWrongHost: ['wrong-host.badssl.com'],
  /** badssl expired: valid only 2017-07-16 23:00 to 2017-07-17 01:00 UTC, docs/lab.md */
  badsslExpired: ['expired.badssl.com'],
} as const;

/** The expired badssl certificate's validity window (docs/lab.md). */
export const BADSSL_EXPIRED_WINDOW = {
  notBefore: new Date('2017-07-16T23:00:00Z'),
  notAfter: new Date('2017-07-17T01:00:00Z'),
} as const;

function a(...addrs: string[]): DnsRecord {
  return { a: addrs };
}

/**
 * createDefaultDnsTable returns a fresh copy of the starting database shared by the ISP and the
 * global tables (docs/lab.md). `www.example.xyz`, `itsat.info` and `web01.example.com` are
 * deliberately absent (NXDOMAIN).
 */
export function createDefaultDnsTable(): DnsTable {
  return {
    'www.example.com': a(HOSTS.example),
    'example.com': a(HOSTS.example),
    'www.example.org': a(HOSTS.example),
    'example.org': a(HOSTS.example),
    'bit.ly': a(HOSTS.bitly),
    'bitly.com': a(HOSTS.bitly),
    'wrong.host.badssl.com': a(HOSTS.badssl),
    'untrusted-root.badssl.com': a(HOSTS.badssl),
    'expired.badssl.com': a(HOSTS.badssl),
    'yandex.com': a(HOSTS.yandex),
    'ya.ru': a(HOSTS.yandex),
    'xn--d1acpjx3f.xn--p1ai': a(HOSTS.yandex),
    'largefile.com': a(HOSTS.largefile),
    'www.largefile.com': a(HOSTS.largefile),
    'www.cloudflare-cache.com': a(HOSTS.cloudflareCache),
    'httpbin.com': a(HOSTS.httpbin),
    'www.news-example.com': a(HOSTS.news),
    'www.hostile-lab.net': a(HOSTS.hostile),
    ...Object.fromEntries(HOSTILE_TLS_NAMES.map((n) => [n, a(HOSTS.hostile)])),
    '0.th.ooni.org': a('68.183.70.80'),
    '1.th.ooni.org': a('137.184.235.44'),
    '2.th.ooni.org': a('178.62.195.24'),
    '3.th.ooni.org': a('209.97.183.73'),
    'd33d1gs9kpq1c5.cloudfront.net': a('52.85.15.84'),
    'api.ooni.io': a(HOSTS.ooniApi),
    'geoip.ubuntu.com': a(HOSTS.geoip),
    'dns.google': a('8.8.8.8', '8.8.4.4'),
    'dns.google.com': a('8.8.8.8', '8.8.4.4'),
    'dns.quad9.net': a('9.9.9.9', '149.112.112.112'),
    'cloudflare-dns.com': a('1.1.1.1', '1.0.0.1'),
    // The public services of the baseline checks (src/lab/public-services.ts).
    'one.one.one.one': a('1.1.1.1', '1.0.0.1'),
    'connectivitycheck.gstatic.com': a(PUBLIC_SERVICE_HOSTS.gstatic),
    'www.google.com': a(PUBLIC_SERVICE_HOSTS.google),
    'captive.apple.com': a(PUBLIC_SERVICE_HOSTS.apple),
  };
}
