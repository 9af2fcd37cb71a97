/**
 * http-head: parsing of an HTTP/1.x request head from raw bytes, shared by the DPI middlebox (Host
 * matching) and the lab's web servers (which write their responses byte by byte, so the headers
 * are exactly docs/lab.md's).
 */

/** RequestHead: a parsed HTTP/1.x request head. */
export interface RequestHead {
  method: string;
  /** The request target as sent (e.g. `/` or `/21645`). */
  target: string;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  version: string;
  /** Header lines in order, names as sent. */
  headers: [string, string][];
  /** The Host header lower-cased with any `:port` removed; null if absent. */
  host: string | null;
  /** Bytes taken by the head including the final CRLFCRLF. */
  headBytes: number;
}

/** Upper bound on a request head, bytes; longer heads are refused. */
export const MAX_HEAD_BYTES = 16 * 1024;

/** hostWithoutPort lower-cases a Host header value and removes `:port` (IPv6 literals keep their brackets). */
export function hostWithoutPort(value: string): string {
  const v = value.trim().toLowerCase();
  if (v.startsWith('[')) return v.slice(0, v.indexOf(']') + 1);
  return v.replace(/:\d*$/, '');
}

/**
 * parseRequestHead looks for a complete request head (ending in CRLFCRLF) at the start of `buf`.
 * Returns null while incomplete; `'invalid'` when the request line is malformed or the head exceeds
 * MAX_HEAD_BYTES; else the RequestHead. Never throws.
 */
export function parseRequestHead(buf: Buffer): RequestHead | 'invalid' | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf.length > MAX_HEAD_BYTES ? 'invalid' : null;
  if (end > MAX_HEAD_BYTES) return 'invalid';
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0] ?? '');
  if (!m) return 'invalid';
  const headers: [string, string][] = [];
  let host: string | null = null;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return 'invalid';
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    headers.push([name, value]);
    if (host === null && name.toLowerCase() === 'host') host = hostWithoutPort(value);
  }
  return { method: m[1] ?? '', target: m[2] ?? '', version: m[3] ?? '', headers, host, headBytes: end + 4 };
}

/** looksLikeHttpRequest says whether `buf` could be the start of an HTTP/1.x request (an upper-case method then a space, so far). */
export function looksLikeHttpRequest(buf: Buffer): boolean {
  const prefix = buf.subarray(0, 8).toString('latin1');
  return /^[A-Z]{1,7}( |$)/.test(prefix);
}
