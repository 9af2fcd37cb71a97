/**
 * Fingerprints: known blockpages (HTTP bodies, headers, DNS answers) and known false positives
 * (CDN challenges, consent walls, WAF and geo-blocking pages served by the site itself), and the
 * pure matching of observations against them.
 *
 * One internal schema for three sources (docs/verdict-rules.md, "Fingerprints"; Censored Planet `blockpage.py`): our JSONL format
 * (see `fingerprint-parse.ts` and the README), OONI's `blocking-fingerprints` CSV columns, and
 * Censored Planet's `{fingerprint, pattern}` JSON lines. Matching order follows Censored Planet
 * `blockpage.py`: false positives before weak blockpages, a strong blockpage first of all (docs/verdict-rules.md),
 * then blockpages; a blockpage fingerprint of scope `vbw` (vague blocking word, OONI) or `f_gen`
 * (generic words, Censored Planet) is weak and never confirms alone. Pure: no I/O.
 */
import { contentTypeOf, decodeBody } from '../model/charset.js';
import type { DnsQueryObservation, HttpRequestObservation } from '../model/index.js';
import { compileLinear } from './fingerprint-parse.js';

/** What a fingerprint recognises: a censor's blockpage, or a page that looks odd but is not censorship. */
export type FingerprintKind = 'blockpage' | 'false_positive';

/** How `pattern` is compared (OONI `pattern_type`). `regexp` is a JavaScript regular expression. */
export type FingerprintPatternType = 'full' | 'prefix' | 'contains' | 'regexp';

/**
 * Where a fingerprint looks: `body` (the response body as text), `header.<lower-case name>` (each
 * value of that response header), `response` (status line, headers and body rebuilt as
 * `HTTP/1.1 CODE\r\nName: value\r\n...\r\n\r\nBODY`, Censored Planet's matching text), or `dns`
 * (each address the probe's resolver returned).
 */
export type FingerprintLocation = 'body' | 'response' | 'dns' | `header.${string}`;

/**
 * Fingerprint: one entry of a set, whatever format it was loaded from.
 * - `id`: unique, namespaced by origin (`censorprobe.*`, `ooni.*` as OONI names them, `cp.*`);
 * - `scope`: OONI/Citizen Lab scope (`nat`, `isp`, `prod`, `inst`, `vbw`, `fp`) or ours (`cdn`,
 *   `consent`, `waf`, `lab`); null when unknown;
 * - `countries`: ISO 3166 alpha-2 codes where it was seen ([] = anywhere);
 * - `confidence`: 1-10, OONI's `confidence_no_fp` (resistance to false positives); null unknown;
 * - `regex`: the compiled pattern for `regexp` (null otherwise);
 * - `origin`: `FILE:LINE` (or `curated`) for error messages and reports.
 */
export interface Fingerprint {
  id: string;
  kind: FingerprintKind;
  scope: string | null;
  location: FingerprintLocation;
  pattern_type: FingerprintPatternType;
  pattern: string;
  regex: LinearPattern | null;
  countries: string[];
  confidence: number | null;
  source: string | null;
  origin: string;
}

/**
 * A compiled `regexp` pattern: RE2 semantics (linear time in the text, no backreferences or
 * lookaround), compiled by `fingerprint-parse.ts` with re2js; `test` says whether it matches
 * anywhere in the text.
 */
export interface LinearPattern {
  test(text: string): boolean;
}

/** A compiled set: HTTP fingerprints (false positives first) and DNS fingerprints, in load order otherwise. */
export interface FingerprintSet {
  http: readonly Fingerprint[];
  dns: readonly Fingerprint[];
  /** Number of fingerprints. */
  size: number;
}

/** One match: the fingerprint and where it matched (`body of http://x/ (depth 0)`, `DNS answer 1.2.3.4`). */
export interface FingerprintMatch {
  fingerprint: Fingerprint;
  where: string;
  /** True for a weak blockpage fingerprint (scope `vbw`/`f_gen`, or confidence < 5): never confirms alone. */
  weak: boolean;
}

/** Scopes whose blockpage fingerprints are weak (OONI `vbw`; Censored Planet `f_gen` → `vbw` on import). */
const WEAK_SCOPES: ReadonlySet<string> = new Set(['vbw']);

/** True when a blockpage fingerprint is too weak to confirm on its own. */
export function isWeak(f: Fingerprint): boolean {
  return f.kind === 'blockpage' && ((f.scope !== null && WEAK_SCOPES.has(f.scope)) || (f.confidence !== null && f.confidence < 5));
}

/**
 * createFingerprintSet compiles a list (later duplicates of an `id` are dropped) into a
 * {@link FingerprintSet}. Pure; never throws (patterns are compiled by the parser).
 */
export function createFingerprintSet(list: readonly Fingerprint[]): FingerprintSet {
  const seen = new Set<string>();
  const unique = list.filter((f) => (seen.has(f.id) ? false : (seen.add(f.id), true)));
  const http = unique.filter((f) => f.location !== 'dns');
  return {
    http: [...http.filter((f) => f.kind === 'false_positive'), ...http.filter((f) => f.kind === 'blockpage')],
    dns: [...unique.filter((f) => f.location === 'dns' && f.kind === 'false_positive'), ...unique.filter((f) => f.location === 'dns' && f.kind === 'blockpage')],
    size: unique.length,
  };
}

/** mergeFingerprintSets returns one set holding the fingerprints of every set (first id wins). */
export function mergeFingerprintSets(...sets: readonly FingerprintSet[]): FingerprintSet {
  return createFingerprintSet(sets.flatMap((s) => [...s.http, ...s.dns]));
}

/**
 * Locations holding host names or URLs, matched case-insensitively (host names are
 * case-insensitive, RFC 4343; a censor may write the Location host in capitals).
 */
const CASE_FOLDED: ReadonlySet<string> = new Set(['dns', 'header.location', 'header.content-location', 'header.refresh', 'header.host']);

/** Case-insensitive copies of regexp patterns (RE2, like every pattern), compiled once per fingerprint. */
const folded = new WeakMap<Fingerprint, LinearPattern | null>();

function foldedRegex(f: Fingerprint): LinearPattern | null {
  if (f.regex === null) return null;
  let r = folded.get(f);
  if (r === undefined) {
    const c = compileLinear(f.pattern, 'i');
    r = typeof c === 'string' ? f.regex : c;
    folded.set(f, r);
  }
  return r;
}

/** Headers whose value is a URL, matched as written and as the absolute URL it names ({@link urlForms}). */
const URL_HEADERS: ReadonlySet<string> = new Set(['location', 'content-location']);

/**
 * urlForms: the spellings of a URL-valued header under which a fingerprint may know it: as written
 * (without the surrounding whitespace, RFC 9110 section 5.5), and, when it names a host (`scheme://`
 * or protocol-relative `//`), as the absolute URL it names, resolved against the request URL `base`
 * (WHATWG URL: scheme and host lower-cased, a default port dropped) with a trailing dot of the host
 * removed (`blocked.example.` is `blocked.example`). A path alone or a value that is no URL gives
 * only the first. Pure.
 */
export function urlForms(value: string, base: string): string[] {
  const raw = value.trim();
  // A path alone names the measured site itself: matching it as that host would make a
  // fingerprint of a blockpage host match the site's own redirects.
  if (!/^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(raw)) return [raw];
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return [raw];
  }
  if (url.hostname.endsWith('.')) url.hostname = url.hostname.replace(/\.+$/, '');
  return url.href === raw ? [raw] : [raw, url.href];
}

/** matchesText applies one fingerprint's pattern to a text (case-insensitive for host and URL locations). */
export function matchesText(f: Fingerprint, text: string): boolean {
  const fold = CASE_FOLDED.has(f.location);
  const t = fold ? text.toLowerCase() : text;
  const p = fold ? f.pattern.toLowerCase() : f.pattern;
  switch (f.pattern_type) {
    case 'full':
      return t === p;
    case 'prefix':
      return t.startsWith(p);
    case 'contains':
      return t.includes(p);
    case 'regexp': {
      const r = fold ? foldedRegex(f) : f.regex;
      if (r === null) return false;
      return r.test(text);
    }
  }
}

/** The body of a response as text: base64 bodies decoded in the charset the page declares (`model/charset.ts`). */
function bodyText(r: NonNullable<HttpRequestObservation['response']>): string {
  const b = r.body;
  return typeof b === 'string' ? b : decodeBody(Buffer.from(b.data, 'base64'), contentTypeOf(r.headers_list.length > 0 ? r.headers_list : r.headers));
}

/**
 * matchHttpResponse matches one response against the HTTP fingerprints: a strong blockpage
 * fingerprint wins (a false positive never outweighs it on the same response,
 * docs/verdict-rules.md), then a false positive (Censored Planet order among the rest), then a weak
 * blockpage. Returns null when nothing matches or there is no response.
 */
export function matchHttpResponse(set: FingerprintSet, request: HttpRequestObservation): FingerprintMatch | null {
  const r = request.response;
  if (r === null || set.http.length === 0) return null;
  const where = `response to ${request.request.url} (depth ${request.depth})`;
  let body: string | null = null;
  let full: string | null = null;
  let weak: FingerprintMatch | null = null;
  let falsePositive: FingerprintMatch | null = null;
  for (const f of set.http) {
    let hit = false;
    if (f.location === 'body') {
      body ??= bodyText(r);
      hit = matchesText(f, body);
    } else if (f.location === 'response') {
      body ??= bodyText(r);
      full ??= `HTTP/1.1 ${r.code}\r\n${r.headers_list.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
      hit = matchesText(f, full);
    } else {
      const name = f.location.slice('header.'.length);
      const test = URL_HEADERS.has(name) ? (v: string) => urlForms(v, request.request.url).some((t) => matchesText(f, t)) : (v: string) => matchesText(f, v);
      for (const [k, v] of r.headers_list) {
        if (k.toLowerCase() === name && test(v)) {
          hit = true;
          break;
        }
      }
      if (!hit && r.headers_list.length === 0) {
        for (const [k, v] of Object.entries(r.headers)) if (k.toLowerCase() === name && test(v)) hit = true;
      }
    }
    if (!hit) continue;
    const m: FingerprintMatch = { fingerprint: f, where: `${f.location} of the ${where}`, weak: isWeak(f) };
    if (f.kind === 'false_positive') falsePositive ??= m;
    else if (!m.weak) return m;
    else weak ??= m;
  }
  return falsePositive ?? weak;
}

/**
 * matchDnsAnswers matches the addresses a lookup returned against the DNS fingerprints
 * (false positives first). Returns the first match or null.
 */
export function matchDnsAnswers(set: FingerprintSet, queries: readonly DnsQueryObservation[]): FingerprintMatch | null {
  if (set.dns.length === 0) return null;
  let weak: FingerprintMatch | null = null;
  for (const f of set.dns) {
    for (const q of queries) {
      for (const a of q.answers) {
        const ip = a.ipv4 ?? a.ipv6;
        if (ip === undefined || !matchesText(f, ip)) continue;
        const m: FingerprintMatch = { fingerprint: f, where: `DNS answer ${ip} for ${q.hostname}`, weak: isWeak(f) };
        if (f.kind === 'false_positive' || !m.weak) return m;
        weak ??= m;
      }
    }
  }
  return weak;
}

/** describeMatch: `fingerprint censorprobe.x (blockpage, scope isp, IT, confidence 8)`. */
export function describeMatch(m: FingerprintMatch): string {
  const f = m.fingerprint;
  const facts = [f.kind === 'blockpage' ? 'blockpage' : 'known false positive'];
  if (f.scope !== null) facts.push(`scope ${f.scope}`);
  if (f.countries.length > 0) facts.push(f.countries.join('/'));
  if (f.confidence !== null) facts.push(`confidence ${f.confidence}`);
  if (m.weak) facts.push('weak');
  return `fingerprint ${f.id} (${facts.join(', ')})`;
}
