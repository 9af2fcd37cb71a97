/**
 * address-guard: the helper's SSRF predicate. An address is refused when it is a bogon
 * (`classify/bogon.ts`, OONI `netxlite/bogon.go`) or when it is an IPv6 address that carries an
 * IPv4 address which is one: NAT64 (RFC 6052 well-known prefix 64:ff9b::/96; RFC 8215 local-use
 * 64:ff9b:1::/48, refused whole: it is for a network's own translators), 6to4 (RFC 3056,
 * 2002::/16, IPv4 in bits 16-47) and Teredo (RFC 4380, 2001::/32: server IPv4 in bits 32-63,
 * client IPv4 in bits 96-127 inverted). A NAT64 gateway would otherwise let `64:ff9b::7f00:1`
 * reach the helper's own loopback. See docs/lab.md "Helper limits".
 */
import ipaddr from 'ipaddr.js';
import { isBogon } from '../classify/bogon.js';

const NAT64_WKP = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const NAT64_LOCAL = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');
const SIX_TO_FOUR = ipaddr.IPv6.parseCIDR('2002::/16');
const TEREDO = ipaddr.IPv6.parseCIDR('2001::/32');

function v4At(bytes: number[], offset: number, invert = false): string {
  const b = bytes.slice(offset, offset + 4).map((x) => (invert ? ~x & 0xff : x));
  return b.join('.');
}

/**
 * embeddedIpv4 returns the IPv4 addresses an IPv6 address carries (NAT64 /96, 6to4, Teredo server
 * and client), [] for any other address or a string that is not IPv6. Pure; never throws.
 */
export function embeddedIpv4(ip: string): string[] {
  if (!ip.includes(':') || ip.includes('%') || !ipaddr.IPv6.isValid(ip)) return [];
  const a = ipaddr.IPv6.parse(ip);
  const bytes = a.toByteArray();
  if (a.match(NAT64_WKP)) return [v4At(bytes, 12)];
  if (a.match(SIX_TO_FOUR)) return [v4At(bytes, 2)];
  if (a.match(TEREDO)) return [v4At(bytes, 4), v4At(bytes, 12, true)];
  return [];
}

/**
 * isRefusedAddress: true when the helper must not connect to `ip` (textual IPv4/IPv6): a bogon,
 * anything in 64:ff9b:1::/48, or an IPv6 address whose embedded IPv4 ({@link embeddedIpv4}) is a
 * bogon. A string that is not an IP address is refused. Pure; never throws.
 */
export function isRefusedAddress(ip: string): boolean {
  if (isBogon(ip)) return true;
  if (ip.includes(':') && ipaddr.IPv6.isValid(ip) && !ip.includes('%') && ipaddr.IPv6.parse(ip).match(NAT64_LOCAL)) return true;
  return embeddedIpv4(ip).some((v4) => isBogon(v4));
}
