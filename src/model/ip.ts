/**
 * IP predicates shared by every layer (probe flow, classifier, helper): bogon, loopback, the
 * addresses that embed an IPv4 address (NAT64, 6to4, Teredo, IPv4-mapped), and known DNS sinkholes.
 * One module, so that the probe never dials what the classifier calls a bogon and the helper
 * refuses exactly the same addresses (docs/measurement-model.md, "Addresses never dialled").
 *
 * Sources: OONI probe-cli `internal/netxlite/bogon.go` (list taken from ipinfo.io/bogon); RFC 6052
 * (NAT64 address format, 64:ff9b::/96), RFC 8215 (local-use NAT64 prefix 64:ff9b:1::/48),
 * RFC 3056 (6to4, 2002::/16), RFC 4380 (Teredo, 2001::/32). Parsing and range matching use
 * ipaddr.js. This is the one place in `model/` with runtime code: pure functions of a string.
 */
import ipaddr from 'ipaddr.js';

/** IPv4 bogon ranges (CIDR), OONI `bogon.go`. */
const IPV4_BOGONS = [
  '0.0.0.0/8', // "this" network: 0.0.0.0 is "any local address", a dial reaches this machine
  '10.0.0.0/8', // private (RFC 1918)
  '100.64.0.0/10', // carrier-grade NAT (RFC 6598)
  '127.0.0.0/8', // loopback (includes 127.0.53.53, the ICANN name-collision address)
  '169.254.0.0/16', // link-local
  '172.16.0.0/12', // private (RFC 1918)
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // TEST-NET-1
  '192.168.0.0/16', // private (RFC 1918)
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // TEST-NET-2
  '203.0.113.0/24', // TEST-NET-3
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved
  '255.255.255.255/32', // limited broadcast
];

/**
 * IPv6 bogon ranges (CIDR), OONI `bogon.go`, without the 6to4 and Teredo forms of the IPv4 bogons:
 * those are found by extracting the embedded IPv4 address and checking it as IPv4 (same answers
 * as OONI's explicit lists, and NAT64 gets the same treatment).
 */
const IPV6_BOGONS = ['::/128', '::1/128', '::ffff:0:0/96', '::/96', '100::/64', '2001:10::/28', '2001:db8::/32', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8'];

const V4_RANGES = IPV4_BOGONS.map((c) => ipaddr.IPv4.parseCIDR(c));
const V6_RANGES = IPV6_BOGONS.map((c) => ipaddr.IPv6.parseCIDR(c));
const V4_LINK_LOCAL_MULTICAST = ipaddr.IPv4.parseCIDR('224.0.0.0/24');
const V6_LINK_LOCAL_MULTICAST = ipaddr.IPv6.parseCIDR('ff02::/16');
const NAT64_WKP = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const NAT64_LOCAL = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');
const SIX_TO_FOUR = ipaddr.IPv6.parseCIDR('2002::/16');
const TEREDO = ipaddr.IPv6.parseCIDR('2001::/32');

/**
 * Known DNS sinkhole addresses: answers censors give instead of the real address. Each entry names
 * who uses it. Sources: OONI's Iran reports (10.10.34.34-36, the Iranian filtering's blockpage
 * addresses); ICANN's name-collision notice (127.0.53.53).
 */
const KNOWN_SINKHOLES: ReadonlyMap<string, string> = new Map([
  ['10.10.34.34', 'Iran filtering (peyvandha)'],
  ['10.10.34.35', 'Iran filtering (peyvandha)'],
  ['10.10.34.36', 'Iran filtering (peyvandha)'],
  ['127.0.53.53', 'ICANN name collision'],
  ['0.0.0.0', 'unspecified address'],
  ['::', 'unspecified address'],
]);

/** ipaddr.js's `isValidFourPartDecimal` shape (lib/ipaddr.js, v2): four decimal parts without leading zeros. */
const FOUR_PART_DECIMAL = /^(0|[1-9]\d*)(\.(0|[1-9]\d*)){3}$/;

/** A parsed address: ipaddr.js IPv4 or IPv6. */
export type ParsedIp = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * parseIp parses `ip` the way Go's `net.ParseIP` does: dotted-quad IPv4 (four decimal parts) or
 * IPv6 text, without zone or brackets. Returns null for anything else; never throws.
 */
export function parseIp(ip: string): ParsedIp | null {
  if (ip.includes(':')) {
    if (ip.includes('%') || !ipaddr.IPv6.isValid(ip)) return null;
    return ipaddr.IPv6.parse(ip);
  }
  // The shape test first: ipaddr.js's own check (the same regex after `isValid`) parses by
  // throwing inside, and a host name is tested once per target (`npm run bench`).
  if (!FOUR_PART_DECIMAL.test(ip) || !ipaddr.IPv4.isValidFourPartDecimal(ip)) return null;
  return ipaddr.IPv4.parse(ip);
}

/**
 * clientKey names the client a server counts `ip` (a socket's remoteAddress) as: an IPv4 address
 * as is (also when written IPv4-mapped, `::ffff:a.b.c.d`), an IPv6 address as its /64 (`2001:db8:1:2::/64`),
 * because one end site normally gets a whole /64 and can use any address in it (RFC 6177 section 2;
 * RFC 4291 section 2.5.1: 64-bit interface identifiers), so per-address caps would not bound it.
 * Anything that is not an IP address is returned unchanged. Never throws.
 */
export function clientKey(ip: string): string {
  const addr = parseIp(ip);
  if (addr === null) return ip;
  if (addr.kind() === 'ipv4') return addr.toString();
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const parts = v6.parts.slice(0, 4).concat([0, 0, 0, 0]);
  return `${new ipaddr.IPv6(parts).toString()}/64`;
}

/** The IPv4 address in bytes `b` of a 16-byte IPv6 address. */
function v4At(bytes: number[], b: [number, number, number, number]): ipaddr.IPv4 {
  return new ipaddr.IPv4(b.map((i) => bytes[i] ?? 0));
}

/**
 * embeddedIpv4 returns the IPv4 address an IPv6 address carries, or null: IPv4-mapped
 * (`::ffff:a.b.c.d`), NAT64 well-known prefix 64:ff9b::/96 (last 32 bits, RFC 6052), local-use
 * NAT64 64:ff9b:1::/48 (bits 48-63 and 72-87, skipping the `u` octet, RFC 6052 section 2.2),
 * 6to4 2002::/16 (bits 16-47, RFC 3056), Teredo 2001::/32 (the server address, bits 32-63,
 * RFC 4380; OONI's Teredo bogon forms check that field). An IPv4 address is returned as is.
 * Never throws.
 */
export function embeddedIpv4(addr: ParsedIp): ipaddr.IPv4 | null {
  if (addr.kind() === 'ipv4') return addr as ipaddr.IPv4;
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const bytes = v6.toByteArray();
  if (v6.match(NAT64_WKP)) return v4At(bytes, [12, 13, 14, 15]);
  if (v6.match(NAT64_LOCAL)) return v4At(bytes, [6, 7, 9, 10]);
  if (v6.match(SIX_TO_FOUR)) return v4At(bytes, [2, 3, 4, 5]);
  if (v6.match(TEREDO)) return v4At(bytes, [4, 5, 6, 7]);
  return null;
}

/**
 * isLoopback tells whether `ip` (textual IPv4 or IPv6) is a loopback address: 127.0.0.0/8, ::1,
 * or an IPv6 address embedding a 127.0.0.0/8 address (IPv4-mapped, NAT64, 6to4, Teredo). As OONI's
 * `netxlite.IsLoopback`, a string that is not an IP address counts as loopback (fail closed: it is
 * never dialled). Never throws.
 */
export function isLoopback(ip: string): boolean {
  const addr = parseIp(ip);
  if (addr === null) return true;
  const v4 = embeddedIpv4(addr);
  if (v4 !== null) return v4.range() === 'loopback';
  return (addr as ipaddr.IPv6).range() === 'loopback';
}

/** Memo of {@link isBogon} answers (bounded: cleared when full), off the analysis hot path. */
const bogonCache = new Map<string, boolean>();
const BOGON_CACHE_MAX = 4096;

/**
 * isBogon tells whether `ip` (textual IPv4 or IPv6) is a bogon: an address that cannot be a public
 * web server. IPv4: OONI's list (0.0.0.0/8, RFC 1918, CGNAT, loopback, link-local, TEST-NETs,
 * benchmarking, multicast, reserved, broadcast). IPv6: `::`, `::1`, IPv4-mapped, ULA, link-local,
 * site-local, documentation, multicast (OONI's list), and any NAT64 (64:ff9b::/96, 64:ff9b:1::/48),
 * 6to4 (2002::/16) or Teredo (2001::/32) address whose embedded IPv4 address is a bogon. A string
 * that is not an IP address is a bogon (fail closed). Never throws.
 *
 * Source: OONI `netxlite.IsBogon` (`internal/netxlite/bogon.go`); docs/measurement-model.md.
 */
export function isBogon(ip: string): boolean {
  const cached = bogonCache.get(ip);
  if (cached !== undefined) return cached;
  const answer = computeIsBogon(ip);
  if (bogonCache.size >= BOGON_CACHE_MAX) bogonCache.clear();
  bogonCache.set(ip, answer);
  return answer;
}

function isV4Bogon(v4: ipaddr.IPv4): boolean {
  const r = v4.range();
  if (r === 'loopback' || r === 'linkLocal' || v4.match(V4_LINK_LOCAL_MULTICAST)) return true;
  return V4_RANGES.some((range) => v4.match(range));
}

function computeIsBogon(ip: string): boolean {
  const addr = parseIp(ip);
  if (addr === null) return true;
  if (addr.kind() === 'ipv4') return isV4Bogon(addr as ipaddr.IPv4);
  const v6 = addr as ipaddr.IPv6;
  if (v6.match(V6_LINK_LOCAL_MULTICAST) || V6_RANGES.some((range) => v6.match(range))) return true;
  // Go's IsLoopback / IsLinkLocalUnicast see IPv4-mapped addresses as IPv4 (already a bogon above).
  const v4 = embeddedIpv4(v6);
  return v4 !== null && isV4Bogon(v4);
}

/**
 * isUnspecified: 0.0.0.0/8 or `::` (and their IPv4-mapped forms). A connect to these reaches the
 * local machine on Linux; never dialled. Never throws; false for non-IPs.
 */
export function isUnspecified(ip: string): boolean {
  const addr = parseIp(ip);
  if (addr === null) return false;
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).range() === 'unspecified') return true;
  const v4 = addr.kind() === 'ipv4' ? (addr as ipaddr.IPv4) : (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : null;
  return v4 !== null && v4.octets[0] === 0;
}

/**
 * knownSinkhole names the censor or convention behind a known DNS sinkhole address (see
 * KNOWN_SINKHOLES for the sources), or returns null. Exact match on the canonical text form.
 */
export function knownSinkhole(ip: string): string | null {
  const addr = parseIp(ip);
  if (addr === null) return null;
  return KNOWN_SINKHOLES.get(addr.toString()) ?? null;
}

/**
 * isIpLiteral: `host` (a URL hostname, brackets allowed) is an IPv4 or IPv6 address literal in
 * Go's strict syntax. Never throws.
 */
export function isIpLiteral(host: string): boolean {
  return parseIp(host.replace(/^\[|\]$/g, '')) !== null;
}

/**
 * neverDial: the reason an address resolved for a target is never connected to, or null when it
 * may be dialled. Today the only reason is `bogon` (which includes 0.0.0.0/8, `::`, loopback and
 * private addresses): a censor's sinkhole answer must not make the probe fetch a page from the
 * volunteer's own machine or network into the report (docs/measurement-model.md).
 */
export function neverDial(ip: string): 'bogon' | null {
  return isBogon(ip) ? 'bogon' : null;
}
