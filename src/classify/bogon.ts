/**
 * Bogon addresses: addresses that cannot be a public web server.
 *
 * Source: OONI probe-cli `internal/netxlite/bogon.go` (list taken from ipinfo.io/bogon), restated in
 * docs/verdict-rules.md (DNS). Range matching uses ipaddr.js.
 */
import ipaddr from 'ipaddr.js';

/** IPv4 bogon ranges (CIDR), OONI `bogon.go`. */
const IPV4_BOGONS = [
  '0.0.0.0/8', // "this" network
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

/** IPv6 bogon ranges (CIDR), OONI `bogon.go`: specials, then the 6to4 and Teredo forms of the IPv4 bogons. */
const IPV6_BOGONS = [
  '::/128', '::1/128', '::ffff:0:0/96', '::/96', '100::/64', '2001:10::/28', '2001:db8::/32',
  'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8',
  // 6to4 forms
  '2002::/24', '2002:a00::/24', '2002:7f00::/24', '2002:a9fe::/32', '2002:ac10::/28', '2002:c000::/40',
  '2002:c000:200::/40', '2002:c0a8::/32', '2002:c612::/31', '2002:c633:6400::/40', '2002:cb00:7100::/40',
  '2002:e000::/20', '2002:f000::/20', '2002:ffff:ffff::/48',
  // Teredo forms
  '2001::/40', '2001:0:a00::/40', '2001:0:7f00::/40', '2001:0:a9fe::/48', '2001:0:ac10::/44',
  '2001:0:c000::/56', '2001:0:c000:200::/56', '2001:0:c0a8::/48', '2001:0:c612::/47',
  '2001:0:c633:6400::/56', '2001:0:cb00:7100::/56', '2001:0:e000::/36', '2001:0:f000::/36',
  '2001:0:ffff:ffff::/64',
];

const V4_RANGES = IPV4_BOGONS.map((c) => ipaddr.IPv4.parseCIDR(c));
const V6_RANGES = IPV6_BOGONS.map((c) => ipaddr.IPv6.parseCIDR(c));
const V4_LINK_LOCAL_MULTICAST = ipaddr.IPv4.parseCIDR('224.0.0.0/24');
const V6_LINK_LOCAL_MULTICAST = ipaddr.IPv6.parseCIDR('ff02::/16');

/** Memo of {@link isBogon} answers (bounded: cleared when full), off the analysis hot path. */
const bogonCache = new Map<string, boolean>();
const BOGON_CACHE_MAX = 4096;

/**
 * Parses `ip` the way Go's `net.ParseIP` does: dotted-quad IPv4 or IPv6 text (no zone, no
 * brackets). Returns null for anything else.
 */
function parseStrictIp(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (ip.includes(':')) {
    if (ip.includes('%') || !ipaddr.IPv6.isValid(ip)) return null;
    return ipaddr.IPv6.parse(ip);
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) return null;
  return ipaddr.IPv4.parse(ip);
}

/** The IPv4 address embedded in an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), as Go's `To4`. */
function unmapV4(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | null {
  if (addr.kind() === 'ipv4') return addr as ipaddr.IPv4;
  const v6 = addr as ipaddr.IPv6;
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : null;
}

/**
 * isLoopback tells whether `ip` (a textual IPv4 or IPv6 address) is a loopback address
 * (127.0.0.0/8, its IPv4-mapped form, or ::1). Like OONI's `netxlite.IsLoopback`, a string that is
 * not an IP address counts as loopback. Never throws.
 */
export function isLoopback(ip: string): boolean {
  const addr = parseStrictIp(ip);
  if (addr === null) return true;
  const v4 = unmapV4(addr);
  if (v4 !== null) return v4.range() === 'loopback';
  return (addr as ipaddr.IPv6).range() === 'loopback';
}

/**
 * isBogon tells whether `ip` (a textual IPv4 or IPv6 address) is a bogon: private (RFC 1918),
 * CGNAT, loopback, link-local, TEST-NETs, benchmarking, multicast, reserved, broadcast; for IPv6
 * the unspecified, loopback, IPv4-mapped, ULA, link-local, site-local, documentation, multicast
 * ranges and the 6to4/Teredo forms of every IPv4 bogon. The IPv6 list is chosen when the string
 * contains ':'. A string that is not an IP address is a bogon. Never throws.
 *
 * Source: OONI `netxlite.IsBogon` (`internal/netxlite/bogon.go`), docs/verdict-rules.md (DNS).
 */
export function isBogon(ip: string): boolean {
  const cached = bogonCache.get(ip);
  if (cached !== undefined) return cached;
  const answer = computeIsBogon(ip);
  if (bogonCache.size >= BOGON_CACHE_MAX) bogonCache.clear();
  bogonCache.set(ip, answer);
  return answer;
}

function computeIsBogon(ip: string): boolean {
  const addr = parseStrictIp(ip);
  if (addr === null) return true;
  // Go's IsLoopback / IsLinkLocalUnicast / IsLinkLocalMulticast run first and see IPv4-mapped
  // addresses as IPv4.
  const v4 = unmapV4(addr);
  if (v4 !== null) {
    const r = v4.range();
    if (r === 'loopback' || r === 'linkLocal') return true;
    if (v4.match(V4_LINK_LOCAL_MULTICAST)) return true; // link-local multicast
  } else {
    const v6 = addr as ipaddr.IPv6;
    if (v6.match(V6_LINK_LOCAL_MULTICAST)) return true; // link-local multicast
  }
  if (addr.kind() === 'ipv6') return V6_RANGES.some((range) => (addr as ipaddr.IPv6).match(range));
  return V4_RANGES.some((range) => (addr as ipaddr.IPv4).match(range));
}
