/**
 * Scrubbing the probe's own addresses out of a report record (OONI `model.ScrubMeasurement`,
 * docs/measurement-model.md).
 */
import { isIP } from 'node:net';
import type { ReportRecord } from '../model/index.js';

/** The replacement text, as OONI writes it. */
export const SCRUBBED = '[scrubbed]';

/**
 * scrubRecord returns a deep copy of `record` in which every occurrence of the probe's own addresses
 * is replaced by `[scrubbed]`, in every string value AND every object key (OONI string-replaces the
 * whole serialised measurement, keys included). The input is not modified.
 *
 * Matching: each address is matched as written, lower-cased, and (IPv6) in its compressed and fully
 * expanded spellings, case-insensitively. Unlike OONI's plain `strings.ReplaceAll`, a match must not
 * sit inside a longer address: for IPv4 no digit or `.` before and no digit after (so `1.2.3.4` does
 * not rewrite `11.2.3.45`); for IPv6 no hex digit or `:` before and no hex digit after (a following
 * `:port` is still scrubbed). Base64 data (bodies, certificates, raw DNS) is not decoded, so an address
 * inside binary data is not scrubbed (as in OONI).
 *
 * `probeAddresses` may be empty (nothing to scrub; still a copy). Empty strings are ignored. A string
 * that is not an IP address (node:net `isIP`) is a programmer error: throws TypeError.
 */
export function scrubRecord(record: ReportRecord, probeAddresses: string[]): ReportRecord {
  const patterns = probeAddresses.filter((a) => a !== '').map(addressPattern);
  const scrubString = (s: string): string => patterns.reduce((acc, re) => acc.replace(re, SCRUBBED), s);
  return scrubValue(record, scrubString) as ReportRecord;
}

/**
 * needsScrubbing says whether any string (value or object key) of `record` holds one of
 * `probeAddresses`, with exactly {@link scrubRecord}'s matching. It walks the record without
 * copying it, so the common case (nothing to scrub) costs no allocation: the runner calls
 * scrubRecord only when this is true (deep-copying every line was about a tenth of a run's
 * allocations, `npm run bench`). Same errors as scrubRecord.
 */
export function needsScrubbing(record: ReportRecord, probeAddresses: string[]): boolean {
  const { patterns, anywhere } = matchersFor(probeAddresses);
  if (patterns.length === 0) return false;
  // The boundary-free `anywhere` test is a fast necessary condition (V8 scans for a literal much
  // faster than it runs a lookbehind); only its hits pay the exact test.
  const matches = (s: string): boolean =>
    anywhere.test(s) &&
    patterns.some((re) => {
      re.lastIndex = 0;
      return re.test(s);
    });
  const walk = (value: unknown): boolean => {
    if (typeof value === 'string') return matches(value);
    if (Array.isArray(value)) return value.some(walk);
    if (typeof value === 'object' && value !== null) {
      for (const key in value) {
        if (matches(key) || walk((value as Record<string, unknown>)[key])) return true;
      }
    }
    return false;
  };
  return walk(record);
}

/** The compiled matchers of an address list: the exact patterns and one boundary-free, non-global test of every spelling. */
interface Matchers {
  patterns: RegExp[];
  anywhere: RegExp;
}

const matcherCache = new Map<string, Matchers>();

/**
 * matchersFor compiles (once per distinct list; a run passes the same list for every line) the
 * patterns of `probeAddresses`. Throws like {@link scrubRecord} on a string that is not an address.
 */
function matchersFor(probeAddresses: string[]): Matchers {
  const key = probeAddresses.join('\n');
  let m = matcherCache.get(key);
  if (m === undefined) {
    const spellings = probeAddresses.filter((a) => a !== '').map(addressSpellings);
    const patterns = spellings.map(boundedPattern);
    const anywhere = new RegExp(spellings.flat().map(escapeRegExp).join('|') || '(?!)', 'i');
    m = { patterns, anywhere };
    if (matcherCache.size >= 16) matcherCache.clear();
    matcherCache.set(key, m);
  }
  return m;
}

/** Deep-copies a JSON value, passing every string (values and keys) through `scrub`. */
function scrubValue(value: unknown, scrub: (s: string) => string): unknown {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, scrub));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[scrub(key)] = scrubValue(item, scrub);
    return out;
  }
  return value;
}

/** A global, case-insensitive regex matching one address in all the spellings we know. */
function addressPattern(address: string): RegExp {
  return boundedPattern(addressSpellings(address));
}

/** The spellings of one address (lower-cased; IPv6 also compressed and fully expanded), longest first. Throws TypeError on a non-address. */
function addressSpellings(address: string): string[] {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) throw new TypeError(`scrubRecord: not an IP address: '${address}'`);
  const spellings = new Set<string>([bare.toLowerCase()]);
  if (family === 6) {
    const compressed = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
    spellings.add(compressed);
    spellings.add(expandIpv6(compressed));
  }
  // Longest first, so an expanded spelling is not half-replaced by a shorter one.
  return [...spellings].sort((a, b) => b.length - a.length);
}

/** The global, case-insensitive regex of one address's spellings (from {@link addressSpellings}), with the boundaries of the module rules. */
function boundedPattern(spellings: string[]): RegExp {
  const alternatives = spellings.map(escapeRegExp).join('|');
  const boundary = spellings.some((x) => x.includes(':')) ? '(?<![0-9a-f:])(?:ALT)(?![0-9a-f])' : '(?<![0-9.])(?:ALT)(?![0-9])';
  return new RegExp(boundary.replace('ALT', alternatives), 'gi');
}

/** `2001:db8::1` → `2001:0db8:0000:0000:0000:0000:0000:0001` (input: a valid compressed IPv6). */
function expandIpv6(address: string): string {
  let text = address;
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((g) => g.padStart(4, '0')).join(':');
}

/** Escapes regex metacharacters. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
