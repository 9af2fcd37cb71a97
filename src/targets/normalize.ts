/**
 * URL normalisation for targets: one canonical spelling per URL, so that de-duplication, `--resume`
 * and report `input` values agree.
 */

/** The result of {@link normalizeUrl}: the canonical URL, or a human-readable reason for rejecting the input. */
export type NormalizeResult = { ok: true; url: string } | { ok: false; reason: string };

/** A scheme at the start of the input (RFC 3986 section 3.1: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`). */
const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

/** Longest accepted target URL, characters. */
export const MAX_URL_LENGTH = 8192;

/** The reason given for a bare host such as `example.com` or `example.com:8080/path`. */
const MISSING_SCHEME = 'missing scheme (write http://example.com/ or https://example.com/)';

/**
 * normalizeUrl turns one user-supplied URL into the canonical target spelling, or says why it cannot.
 *
 * Rules (WHATWG URL parsing via Node's `URL`, plus our own checks):
 * - the input is trimmed; an empty input is rejected (`empty URL`);
 * - only `http:` and `https:` are accepted (`unsupported scheme 'ftp:' (only http and https)`), and the
 *   scheme must be followed by `//` and a non-empty host (`missing host`);
 * - a bare host (`example.com`, `example.com:8080/x`, `//example.com`) is NOT guessed into a URL: it is
 *   rejected with `missing scheme (write http://example.com/ or https://example.com/)`, because choosing
 *   http or https changes what is measured;
 * - userinfo (`user:password@`, even empty `@`) is rejected: credentials would leak into the report;
 * - the host is lower-cased and IDN labels become punycode (`http://例え.jp` → `http://xn--r8jz45g.jp/`),
 *   IPv6 literals are compressed and lower-cased (all by WHATWG URL);
 * - the path defaults to `/`, the port is kept only when it is not the scheme's default, the query is
 *   kept, the fragment is dropped (it is never sent to the server).
 *
 * - a URL longer than {@link MAX_URL_LENGTH} characters is rejected.
 *
 * Never throws: every malformed input yields `{ ok: false, reason }`.
 */
export function normalizeUrl(raw: string): NormalizeResult {
  const input = raw.trim();
  if (input === '') return { ok: false, reason: 'empty URL' };
  // Browsers and servers commonly cap URLs near 8 KiB; a longer line is not a target (and would
  // flood the console and the report).
  if (input.length > MAX_URL_LENGTH) return { ok: false, reason: `URL longer than ${MAX_URL_LENGTH} characters (${input.length})` };
  if (input.startsWith('//')) return { ok: false, reason: MISSING_SCHEME };

  const schemeMatch = SCHEME_RE.exec(input);
  if (schemeMatch === null) return { ok: false, reason: MISSING_SCHEME };
  const scheme = (schemeMatch[1] ?? '').toLowerCase();
  const rest = input.slice(schemeMatch[0].length);

  if (scheme !== 'http' && scheme !== 'https') {
    // `example.com:8080/x` and `localhost:80` parse as a "scheme" followed by a port: a bare host.
    if (scheme.includes('.') || /^\d+(?:[/?#]|$)/.test(rest)) return { ok: false, reason: MISSING_SCHEME };
    return { ok: false, reason: `unsupported scheme '${scheme}:' (only http and https)` };
  }

  // WHATWG URL accepts `http:example.com` and `http:///example.com`; we want the authority spelled out.
  if (!/^[/\\]{2}/.test(rest)) return { ok: false, reason: `malformed URL: expected '//' after '${scheme}:'` };
  const authority = rest.slice(2).split(/[/\\?#]/, 1)[0] ?? '';
  if (authority === '') return { ok: false, reason: 'missing host' };
  if (authority.includes('@')) {
    return { ok: false, reason: 'credentials in the URL (user:password@host) are not allowed: they would leak into the report' };
  }

  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, reason: `invalid URL (bad host or port in '${authority}')` };
  }
  if (url.hostname === '') return { ok: false, reason: 'missing host' };
  if (url.port === '0') return { ok: false, reason: 'port 0 cannot be connected to' };

  url.hash = '';
  // `URL.href` already lower-cases the scheme and host, applies punycode, drops a default port and
  // sets the path of special schemes to `/` when empty.
  return { ok: true, url: url.href };
}
