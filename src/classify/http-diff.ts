/**
 * HTTP-diff metrics: how the probe's final HTTP response compares with the control's.
 *
 * Source: OONI Web Connectivity LTE, `internal/minipipeline/httpdiff.go` (the metrics),
 * `internal/minipipeline/analysis.go` (`httpDiff*`: when each metric is computed) and
 * `webconnectivitylte/analysishttpcore.go` (`analysisHTTPDiffAlgorithm`); our stricter rule is in
 * docs/verdict-rules.md. Pure functions.
 */

/**
 * COMMON_HEADERS is the set of 25 lower-case header names that every site tends to send and that
 * therefore tell nothing about which server answered (OONI `httpDiffCommonHeaders`).
 */
export const COMMON_HEADERS: ReadonlySet<string> = new Set([
  'date', 'content-type', 'server', 'cache-control', 'vary', 'set-cookie', 'location', 'expires',
  'x-powered-by', 'content-encoding', 'last-modified', 'accept-ranges', 'pragma', 'x-frame-options',
  'etag', 'x-content-type-options', 'age', 'via', 'p3p', 'x-xss-protection', 'content-language',
  'cf-ray', 'strict-transport-security', 'link', 'x-varnish',
]);

/** BODY_PROPORTION_THRESHOLD: bodies match when min/max is strictly greater than this (OONI 0.7). */
export const BODY_PROPORTION_THRESHOLD = 0.7;

/** TITLE_MIN_WORD_BYTES: title words shorter than this many UTF-8 bytes are ignored (OONI 5). */
export const TITLE_MIN_WORD_BYTES = 5;

/**
 * bodyProportion returns min(probe, control) / max(probe, control) for two body lengths in bytes,
 * or null when it cannot be computed: the probe's length is <= 0, the probe's body was truncated
 * (the cap was reached, so the length is not the real one), or the control's length is <= 0
 * (the helper reports -1 when its fetch failed). OONI `httpDiffBodyProportionFactor`.
 */
export function bodyProportion(probeBytes: number, probeTruncated: boolean, controlBytes: number): number | null {
  if (probeBytes <= 0 || probeTruncated || controlBytes <= 0) return null;
  return probeBytes >= controlBytes ? controlBytes / probeBytes : probeBytes / controlBytes;
}

/** bodyLengthMatch is `proportion > 0.7`, or null when the proportion is null. OONI `httpdiff.go`. */
export function bodyLengthMatch(proportion: number | null): boolean | null {
  return proportion === null ? null : proportion > BODY_PROPORTION_THRESHOLD;
}

/**
 * statusCodeMatch compares two HTTP status codes with the LTE rules: null unless both are > 0;
 * equal → true; different → false only when the control's code is 2xx, else null (the control
 * itself looked unhappy). OONI `ComputeHTTPDiffStatusCodeMatch`.
 */
export function statusCodeMatch(probe: number, control: number): boolean | null {
  if (probe <= 0 || control <= 0) return null;
  if (probe === control) return true;
  return Math.trunc(control / 100) === 2 ? false : null;
}

/**
 * uncommonHeadersIntersection returns the lower-cased header names, outside
 * {@link COMMON_HEADERS}, present in both responses (names only; values are never compared).
 * OONI `ComputeHTTPDiffUncommonHeadersIntersection`.
 */
export function uncommonHeadersIntersection(probe: Iterable<string>, control: Iterable<string>): string[] {
  const uncommon = (names: Iterable<string>): Set<string> => {
    const out = new Set<string>();
    for (const name of names) {
      const key = name.toLowerCase();
      if (!COMMON_HEADERS.has(key)) out.add(key);
    }
    return out;
  };
  const theirs = uncommon(control);
  return [...uncommon(probe)].filter((k) => theirs.has(k)).sort();
}

/**
 * headersMatch is true iff the uncommon-header sets intersect (LTE). Both empty → false.
 * OONI `analysisHTTPDiffStatus` / `ComputeHTTPDiffUncommonHeadersIntersection`.
 */
export function headersMatch(probe: Iterable<string>, control: Iterable<string>): boolean {
  return uncommonHeadersIntersection(probe, control).length > 0;
}

const utf8 = new TextEncoder();

/** Long, lower-cased words of a title: split on ' ' only, keep words of >= 5 UTF-8 bytes. */
function longWords(title: string): Set<string> {
  const out = new Set<string>();
  for (const word of title.split(' ')) {
    if (utf8.encode(word).length >= TITLE_MIN_WORD_BYTES) out.add(word.toLowerCase());
  }
  return out;
}

/**
 * titleDifferentLongWords returns the long words (>= 5 bytes, split on ASCII space only,
 * lower-cased) that appear in only one of the two titles. OONI
 * `ComputeHTTPDiffTitleDifferentLongWords`.
 */
export function titleDifferentLongWords(probe: string, control: string): string[] {
  const a = longWords(probe);
  const b = longWords(control);
  const out = new Set<string>();
  for (const w of a) if (!b.has(w)) out.add(w);
  for (const w of b) if (!a.has(w)) out.add(w);
  return [...out].sort();
}

/** titleMatch is true iff no long word appears in only one title (LTE); both empty → true. */
export function titleMatch(probe: string, control: string): boolean {
  return titleDifferentLongWords(probe, control).length === 0;
}

/** The `*_match` keys that feed the http-diff decision (OONI names). */
export interface HttpDiffMatches {
  status_code_match: boolean | null;
  body_length_match: boolean | null;
  headers_match: boolean | null;
  title_match: boolean | null;
}

/**
 * isHttpDiff is OONI's http-diff decision (`analysisHTTPDiffAlgorithm`, the same in v0.4): when
 * `status_code_match` is true, any one of `body_length_match`, `headers_match` or `title_match`
 * being true means no diff; anything else (including a null status match) is a diff.
 */
export function isHttpDiff(m: HttpDiffMatches): boolean {
  if (m.status_code_match !== true) return true;
  return !(m.body_length_match === true || m.headers_match === true || m.title_match === true);
}

/** The side of a final HTTP response the diff needs. Lengths in bytes; codes <= 0 mean "none". */
export interface HttpResponseSummary {
  status_code: number;
  /** Bytes of body (captured bytes for the probe, real length for the control; -1 when failed). */
  body_length: number;
  /** Probe only: the body reached the cap. */
  body_is_truncated: boolean;
  header_names: string[];
  title: string;
}

/** The HTTP-diff keys as OONI writes them: `body_proportion` is 0 when not computed. */
export interface HttpDiffMetrics extends HttpDiffMatches {
  body_proportion: number;
}

/**
 * compareHttpResponses computes the LTE HTTP-diff keys for a probe's final response and the
 * control's (`minipipeline/analysis.go` `httpHandleFinalResponse`): body proportion/match as in
 * {@link bodyProportion}; status code per {@link statusCodeMatch}; headers and title only when the
 * control's status code is > 0 (else null).
 */
export function compareHttpResponses(probe: HttpResponseSummary, control: HttpResponseSummary): HttpDiffMetrics {
  const proportion = bodyProportion(probe.body_length, probe.body_is_truncated, control.body_length);
  const controlOk = control.status_code > 0;
  return {
    body_proportion: proportion ?? 0,
    body_length_match: bodyLengthMatch(proportion),
    status_code_match: statusCodeMatch(probe.status_code, control.status_code),
    headers_match: controlOk ? headersMatch(probe.header_names, control.header_names) : null,
    title_match: controlOk ? titleMatch(probe.title, control.title) : null,
  };
}
