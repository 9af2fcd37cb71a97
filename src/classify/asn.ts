/**
 * IP-to-ASN lookup over a sorted range index (binary search), built from the `*-num.csv` files of
 * `@ip-location-db/asn` (CC-BY-4.0: RouteViews + DB-IP; columns `start,end,asn,as_name`, integers
 * for IPv4, decimal 128-bit integers for IPv6, rows sorted by `start`, ranges disjoint).
 *
 * Pure: the caller reads the file text (see `src/runner/asn-db.ts` for the lazy loader). Only the
 * first three columns are read, with a hand-written integer scan rather than csv-parse: they are
 * unquoted integers by construction, the AS name (possibly quoted) is ignored, and parsing 400k
 * rows must stay well under a second (csv-parse takes several).
 * NAT64 (RFC 6052 well-known prefix 64:ff9b::/96) and IPv4-mapped (::ffff:0:0/96) addresses are
 * looked up as the IPv4 address they embed.
 */
import ipaddr from 'ipaddr.js';

/** An index of one address family: parallel arrays of range starts, ends and ASNs. */
export interface AsnIndex {
  family: 4 | 6;
  /** Number of ranges. */
  size: number;
  /** ASN of a parsed address (IPv4 as a number, IPv6 as a bigint), 0 when not covered. */
  find(key: number | bigint): number;
}

/**
 * buildAsnIndexV4 parses `asn-ipv4-num.csv`, as text or as its raw bytes (ASCII). Lines that do not
 * start with three integers are skipped (header, blank). Never throws. Given bytes (what the ASN
 * database passes), it allocates nothing but the index: the 21 MB file is never turned into a
 * string (that string and an array per line were most of a probe run's start-up memory peak,
 * `npm run bench`).
 */
export function buildAsnIndexV4(csv: string | Uint8Array): AsnIndex {
  const bytes = typeof csv === 'string' ? Uint8Array.from(csv, (ch) => ch.charCodeAt(0) & 0xff) : csv;
  const n = countLines(bytes);
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  const asns = new Uint32Array(n);
  let size = 0;
  let i = 0;
  const len = bytes.length;
  // The three fields of the current line, in one reused typed array.
  const fields = new Float64Array(3);
  while (i < len) {
    let ok = true;
    for (let f = 0; f < 3; f++) {
      let v = 0;
      let digits = 0;
      let c = bytes[i];
      while (c !== undefined && c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        digits++;
        c = bytes[++i];
      }
      if (digits === 0 || (f < 2 && c !== 44) || (f === 2 && c !== 44 && c !== 10 && c !== 13 && c !== undefined)) ok = false;
      fields[f] = v;
      if (!ok) break;
      if (f < 2) i++;
    }
    while (i < len && bytes[i] !== 10) i++;
    i++;
    if (!ok) continue;
    starts[size] = fields[0] as number;
    ends[size] = fields[1] as number;
    asns[size] = fields[2] as number;
    size++;
  }
  return {
    family: 4,
    size,
    find(key) {
      const k = Number(key);
      let lo = 0;
      let hi = size - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if ((starts[mid] as number) <= k) lo = mid + 1;
        else hi = mid - 1;
      }
      return hi >= 0 && k <= (ends[hi] as number) ? (asns[hi] as number) : 0;
    },
  };
}

/** buildAsnIndexV6 parses `asn-ipv6-num.csv` text (128-bit decimal integers). Never throws. */
export function buildAsnIndexV6(csv: string): AsnIndex {
  const starts: bigint[] = [];
  const ends: bigint[] = [];
  const asns: number[] = [];
  for (const line of csv.split('\n')) {
    const m = /^(\d+),(\d+),(\d+)/.exec(line);
    if (m === null) continue;
    starts.push(BigInt(m[1] as string));
    ends.push(BigInt(m[2] as string));
    asns.push(Number(m[3]));
  }
  const size = asns.length;
  return {
    family: 6,
    size,
    find(key) {
      const k = BigInt(key);
      let lo = 0;
      let hi = size - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if ((starts[mid] as bigint) <= k) lo = mid + 1;
        else hi = mid - 1;
      }
      return hi >= 0 && k <= (ends[hi] as bigint) ? (asns[hi] as number) : 0;
    },
  };
}

function countLines(s: string | Uint8Array): number {
  let n = 1;
  if (typeof s === 'string') {
    for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  } else {
    for (let i = s.indexOf(10); i !== -1; i = s.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** The well-known NAT64 prefix (RFC 6052). */
const NAT64 = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/**
 * unwrapNat64 returns the IPv4 address embedded in a NAT64 (64:ff9b::/96) or IPv4-mapped IPv6
 * address, else `ip` unchanged. Never throws (a non-address is returned unchanged).
 */
export function unwrapNat64(ip: string): string {
  if (!ip.includes(':') || !ipaddr.IPv6.isValid(ip)) return ip;
  const v6 = ipaddr.IPv6.parse(ip);
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  if (!v6.match(NAT64)) return ip;
  const b = v6.toByteArray();
  return b.slice(12).join('.');
}

/**
 * ipKey turns a textual address into the index key: `{family: 4, key: number}` or
 * `{family: 6, key: bigint}`, after {@link unwrapNat64}; null for a non-address.
 */
export function ipKey(ip: string): { family: 4; key: number } | { family: 6; key: bigint } | null {
  const plain = unwrapNat64(ip);
  if (ipaddr.IPv4.isValidFourPartDecimal(plain)) {
    const b = ipaddr.IPv4.parse(plain).octets;
    return { family: 4, key: ((b[0] as number) * 16777216) + ((b[1] as number) << 16) + ((b[2] as number) << 8) + (b[3] as number) };
  }
  if (!plain.includes(':') || !ipaddr.IPv6.isValid(plain)) return null;
  let key = 0n;
  for (const byte of ipaddr.IPv6.parse(plain).toByteArray()) key = (key << 8n) | BigInt(byte);
  return { family: 6, key };
}
