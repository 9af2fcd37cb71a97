/**
 * The request headers the helper forwards to the origin: the client's `http_request_headers`
 * (OONI test-helper protocol, `model.THRequest`; docs/helper-protocol.md), so that the helper asks
 * for the page as the probe did (same language, same user agent: sites answer by them).
 *
 * Untrusted input: only well-formed header names (RFC 9110 tokens) with printable values are kept,
 * the first value of each, at most MAX_FORWARDED_HEADERS headers of at most MAX_HEADER_VALUE_BYTES;
 * hop-by-hop headers (RFC 9110 section 7.6.1) and the headers the helper's own connection owns
 * (Host, Content-Length, Cookie: the helper's jar keeps the chain's cookies) are dropped.
 */

/** Largest number of headers forwarded. */
export const MAX_FORWARDED_HEADERS = 32;
/** Largest forwarded header value, bytes (UTF-8). */
export const MAX_HEADER_VALUE_BYTES = 1024;

/** Header names never forwarded (lower case). */
const NOT_FORWARDED: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'trailers',
  'transfer-encoding', 'upgrade', 'host', 'content-length', 'cookie', 'expect', 'http2-settings',
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const PRINTABLE = /^[\t\x20-\x7e\x80-\uffff]*$/;

/**
 * forwardableHeaders turns the client's `http_request_headers` (a map of name to list of values,
 * untrusted) into the headers the helper sends: `{Name: firstValue}`. Pure; never throws; anything
 * malformed is dropped, not refused (OONI's helper ignores what it does not use).
 */
export function forwardableHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return out;
  const seen = new Set<string>();
  for (const [name, values] of Object.entries(raw as Record<string, unknown>)) {
    if (Object.keys(out).length >= MAX_FORWARDED_HEADERS) break;
    const lower = name.toLowerCase();
    if (!TOKEN.test(name) || NOT_FORWARDED.has(lower) || lower.startsWith('proxy-') || seen.has(lower)) continue;
    const first: unknown = Array.isArray(values) ? values[0] : values;
    if (typeof first !== 'string' || !PRINTABLE.test(first) || Buffer.byteLength(first) > MAX_HEADER_VALUE_BYTES) continue;
    seen.add(lower);
    out[name] = first;
  }
  return out;
}
