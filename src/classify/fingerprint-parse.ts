/**
 * Parsing of fingerprint files (text → {@link Fingerprint}s), in four formats, with errors as
 * data (`FILE:LINE: reason`). Pure: the caller reads the file. Formats and rules are described in
 * docs/ooni-import.md ("Fingerprint files").
 *
 * 1. **censorprobe JSONL** (ours, documented in the README "Analysis, OONI import and fingerprints"):
 *    one JSON object a line, `#` comments and blank lines allowed:
 *    `{"id", "kind": "blockpage"|"false_positive", "location": "body"|"header.<name>"|"response"|"dns",
 *    "pattern_type": "full"|"prefix"|"contains"|"regexp", "pattern", "scope"?, "countries"?: [..],
 *    "confidence"?: 1-10, "source"?, "notes"?, "regex_flags"?: "i"|"s"|"m"...}`.
 * 2. **OONI blocking-fingerprints CSV** (`ooni/blocking-fingerprints` `fingerprints_http.csv`):
 *    header `name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,
 *    expected_countries,source,exp_url,notes`; scope `fp` = false positive; ids prefixed `ooni.`
 *    unless the name already carries a namespace. Parsed with csv-parse (notes span lines).
 * 3. **OONI fastpath JSON** (the same rows as a JSON array of objects with the CSV column names,
 *    as OONI's fastpath loads them: ooni/backend `fastpath/fastpath/tests/data/fingerprints_http.json`
 *    at 32d8349dc5440e75264c84c0ffe97495c7488e84); errors name the array index as the line (1-based).
 * 4. **Censored Planet JSONL** (`blockpage_signatures.json`, `false_positive_signatures.json` of
 *    censoredplanet/censoredplanet-analysis `pipeline/metadata/data/`): `{"fingerprint", "pattern"}`,
 *    a Python regex run with DOTALL on the rebuilt response; here an RE2 regex with DOTALL on
 *    location `response`. Blockpage when the id carries one of Censored Planet's published category
 *    prefixes (`a_prod_`, `b_nat_`, `c_isp_`, `d_corp_`, `e_unk_`, `f_gen_`), false positive
 *    otherwise (`x_*`, `r_fp*`, `p_fp*`, `satellite_*`, `wix_error`, ...), whatever the file is
 *    called; scope from the prefix (`f_gen` → `vbw`: weak). Ids prefixed `cp.`.
 *
 * Every `regexp` pattern is compiled with re2js (RE2 semantics: matching time linear in the text,
 * so a pattern like `^(a+)+$` cannot hang the probe on a hostile body). A pattern RE2 cannot run
 * (backreferences, lookaround, possessive quantifiers) or longer than {@link MAX_PATTERN_CHARS} is
 * refused with the reason, as a `FILE:LINE` error.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { RE2JS } from 're2js';
import type { Fingerprint, FingerprintKind, FingerprintLocation, FingerprintPatternType, LinearPattern } from './fingerprint.js';

/** The formats {@link parseFingerprints} reads. */
export type FingerprintFormat = 'censorprobe' | 'ooni-csv' | 'ooni-json' | 'censored-planet';

/** Longest `regexp` pattern accepted, in UTF-16 code units (longer ones are refused). */
export const MAX_PATTERN_CHARS = 4096;

/** Censored Planet's blockpage id prefixes (category letter and name); any other id is a false positive. */
const CP_BLOCKPAGE_ID = /^([a-f])_(prod|nat|isp|corp|unk|gen)_/;

/** One problem in a fingerprint file: `source` (file name), 1-based `line`, short `reason`. */
export interface FingerprintError {
  source: string;
  line: number;
  reason: string;
}

/** The result of {@link parseFingerprints}: what loaded, and every error (the caller decides whether to stop). */
export interface ParsedFingerprints {
  format: FingerprintFormat | null;
  fingerprints: Fingerprint[];
  errors: FingerprintError[];
}

/** formatFingerprintError renders `FILE:LINE: reason`. */
export function formatFingerprintError(e: FingerprintError): string {
  return `${e.source}:${e.line}: ${e.reason}`;
}

const OONI_COLUMNS = ['name', 'scope', 'other_names', 'location_found', 'pattern_type', 'pattern', 'confidence_no_fp', 'expected_countries', 'source', 'exp_url', 'notes'];
const PATTERN_TYPES: readonly string[] = ['full', 'prefix', 'contains', 'regexp'];

/**
 * detectFingerprintFormat guesses the format: a JSON array (OONI fastpath JSON); else from the
 * first non-blank, non-comment line: an OONI CSV header (`name,scope,...`), a JSON object with
 * `fingerprint` (Censored Planet) or `id` (censorprobe). Null when none fits.
 */
export function detectFingerprintFormat(text: string): FingerprintFormat | null {
  if (text.replace(/^\uFEFF/, '').trimStart().startsWith('[')) return 'ooni-json';
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (first === undefined) return 'censorprobe';
  if (/^\uFEFF?name,scope(,|$)/.test(first.trim())) return 'ooni-csv';
  try {
    const v = JSON.parse(first) as Record<string, unknown>;
    if (typeof v === 'object' && v !== null) {
      if ('fingerprint' in v) return 'censored-planet';
      if ('id' in v) return 'censorprobe';
    }
  } catch {
    return null;
  }
  return null;
}

/** The text a regexp matches when it is a plain literal (only ordinary and backslash-escaped punctuation characters), else null. */
function literalOf(pattern: string): string | null {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined || !/[\\^$.|?*+()[\]{}\/\-"'<>=:;,!#%&@~` ]/.test(n)) return null;
      out += n;
      i++;
    } else if ('^$.|?*+()[]{}'.includes(c)) {
      return null;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * compileLinear compiles `pattern` with RE2 semantics (re2js). `flags` may hold `i` (case
 * insensitive), `s` (dot matches newline), `m` (multi-line); `(?i)`-style inline flags work too.
 * Returns the compiled pattern, or the reason it is refused (unsupported syntax such as
 * backreferences or lookaround, bad syntax, an unknown flag, or longer than
 * {@link MAX_PATTERN_CHARS}). Never throws.
 */
export function compileLinear(pattern: string, flags = ''): LinearPattern | string {
  if (pattern.length > MAX_PATTERN_CHARS) return `regexp refused: longer than ${MAX_PATTERN_CHARS} characters`;
  let bits = 0;
  for (const f of flags) {
    if (f === 'i') bits |= RE2JS.CASE_INSENSITIVE;
    else if (f === 's') bits |= RE2JS.DOTALL;
    else if (f === 'm') bits |= RE2JS.MULTILINE;
    else if (f !== 'u') return `regexp refused: flag '${f}' is not supported (use i, s or m)`;
  }
  // Most published patterns are escaped literals (`10\\.10\\.34\\.35`): a substring search gives
  // the same answer, in linear time too, without running the RE2 machine over the body.
  const literal = (bits & RE2JS.CASE_INSENSITIVE) === 0 ? literalOf(pattern) : null;
  if (literal !== null && literal !== '') return { test: (text: string): boolean => text.includes(literal) };
  try {
    const re = RE2JS.compile(pattern, bits);
    return { test: (text: string): boolean => re.test(text) };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return `regexp refused: RE2 (linear-time matching) cannot run it: ${why.replace(/^error parsing regexp: /, '')}`;
  }
}

function checkLocation(v: unknown): FingerprintLocation | null {
  if (v === 'body' || v === 'response' || v === 'dns') return v;
  if (typeof v === 'string' && /^header\.[a-z0-9-]+$/.test(v)) return v as FingerprintLocation;
  return null;
}

/**
 * parseFingerprints parses a fingerprint file's text. `source` names the file in errors and in
 * each fingerprint's `origin`; `format` forces a format (default: {@link detectFingerprintFormat}).
 * Never throws: bad lines become {@link FingerprintError}s (unknown format, bad JSON, missing or
 * invalid field, invalid regexp, wrong CSV header, unterminated CSV quote).
 */
export function parseFingerprints(text: string, source: string, format?: FingerprintFormat): ParsedFingerprints {
  const fmt = format ?? detectFingerprintFormat(text);
  if (fmt === null) {
    return { format: null, fingerprints: [], errors: [{ source, line: 1, reason: 'unknown fingerprint format: expected censorprobe JSONL ({"id",...}), an OONI CSV (name,scope,...) or Censored Planet JSONL ({"fingerprint","pattern"})' }] };
  }
  if (fmt === 'ooni-csv') return { format: fmt, ...parseOoniCsv(text, source) };
  if (fmt === 'ooni-json') return { format: fmt, ...parseOoniJson(text, source) };
  return { format: fmt, ...parseJsonLines(text, source, fmt) };
}

function parseJsonLines(text: string, source: string, fmt: 'censorprobe' | 'censored-planet'): Omit<ParsedFingerprints, 'format'> {
  const fingerprints: Fingerprint[] = [];
  const errors: FingerprintError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const fail = (reason: string): void => {
      errors.push({ source, line, reason });
    };
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      fail(`bad JSON (${e instanceof Error ? e.message : String(e)})`);
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      fail('not a JSON object');
      return;
    }
    const o = v as Record<string, unknown>;
    const origin = `${source}:${line}`;
    if (fmt === 'censored-planet') {
      const id = o['fingerprint'];
      const pattern = o['pattern'];
      if (typeof id !== 'string' || id === '') return fail("missing string 'fingerprint'");
      if (typeof pattern !== 'string' || pattern === '') return fail("missing string 'pattern'");
      const regex = compileLinear(pattern, 's');
      if (typeof regex === 'string') return fail(regex);
      const prefix = CP_BLOCKPAGE_ID.exec(id)?.[2];
      const fp = prefix === undefined;
      const scope = fp ? 'fp' : prefix === 'gen' ? 'vbw' : (prefix ?? null);
      fingerprints.push({ id: `cp.${id}`, kind: fp ? 'false_positive' : 'blockpage', scope, location: 'response', pattern_type: 'regexp', pattern, regex, countries: [], confidence: null, source: 'censored planet', origin });
      return;
    }
    const id = o['id'];
    const kind = o['kind'];
    const location = checkLocation(o['location']);
    const pt = o['pattern_type'];
    const pattern = o['pattern'];
    if (typeof id !== 'string' || id === '') return fail("missing string 'id'");
    if (kind !== 'blockpage' && kind !== 'false_positive') return fail(`'kind' must be "blockpage" or "false_positive", got ${JSON.stringify(kind)}`);
    if (location === null) return fail(`'location' must be "body", "response", "dns" or "header.<lower-case name>", got ${JSON.stringify(o['location'])}`);
    if (typeof pt !== 'string' || !PATTERN_TYPES.includes(pt)) return fail(`'pattern_type' must be one of ${PATTERN_TYPES.join(', ')}, got ${JSON.stringify(pt)}`);
    if (typeof pattern !== 'string' || pattern === '') return fail("missing string 'pattern'");
    const countries = o['countries'] ?? [];
    if (!Array.isArray(countries) || !countries.every((c) => typeof c === 'string' && /^[A-Z]{2}$/.test(c))) return fail("'countries' must be an array of ISO 3166 alpha-2 codes (e.g. [\"IT\"])");
    const confidence = o['confidence'] ?? null;
    if (confidence !== null && (typeof confidence !== 'number' || !Number.isInteger(confidence) || confidence < 1 || confidence > 10)) return fail("'confidence' must be an integer from 1 to 10");
    let regex: LinearPattern | null = null;
    if (pt === 'regexp') {
      const r = compileLinear(pattern, typeof o['regex_flags'] === 'string' ? o['regex_flags'] : '');
      if (typeof r === 'string') return fail(r);
      regex = r;
    }
    fingerprints.push({
      id, kind: kind as FingerprintKind, scope: typeof o['scope'] === 'string' ? o['scope'] : null, location, pattern_type: pt as FingerprintPatternType,
      pattern, regex, countries: countries as string[], confidence: confidence as number | null,
      source: typeof o['source'] === 'string' ? o['source'] : null, origin,
    });
  });
  return { fingerprints, errors };
}

function parseOoniCsv(text: string, source: string): Omit<ParsedFingerprints, 'format'> {
  const fingerprints: Fingerprint[] = [];
  const errors: FingerprintError[] = [];
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parseCsv(text.replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true, info: true, relax_column_count: false }) as typeof rows;
  } catch (e) {
    const line = typeof (e as { lines?: unknown }).lines === 'number' ? (e as { lines: number }).lines : 1;
    errors.push({ source, line, reason: `bad CSV (${e instanceof Error ? e.message.replace(/^Invalid Record Length: /, '') : String(e)})` });
    return { fingerprints, errors };
  }
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0]?.split(',') ?? [];
  const missing = OONI_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    errors.push({ source, line: 1, reason: `OONI fingerprint CSV header lacks ${missing.join(', ')}` });
    return { fingerprints, errors };
  }
  for (const { record: r, info } of rows) {
    // info.lines is the last physical line of the record; a record spanning lines is reported at its end.
    const one = ooniRow(r, source, info.lines);
    if (typeof one === 'string') errors.push({ source, line: info.lines, reason: one });
    else fingerprints.push(one);
  }
  return { fingerprints, errors };
}

/**
 * ooniRow converts one OONI fingerprint row (CSV record or fastpath JSON object; values are
 * strings, `confidence_no_fp` may be a number) into a {@link Fingerprint}, or returns the reason
 * it is refused.
 */
function ooniRow(r: Record<string, unknown>, source: string, line: number): Fingerprint | string {
  const text = (k: string): string => {
    const v = r[k];
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
  };
  const name = text('name');
  const pt = text('pattern_type');
  const pattern = text('pattern');
  const location = checkLocation(text('location_found').toLowerCase());
  if (name === '') return "empty 'name'";
  if (location === null) return `'location_found' must be body, dns or header.<name>, got '${text('location_found')}'`;
  if (!PATTERN_TYPES.includes(pt)) return `'pattern_type' must be one of ${PATTERN_TYPES.join(', ')}, got '${pt}'`;
  if (pattern === '') return "empty 'pattern'";
  let regex: LinearPattern | null = null;
  if (pt === 'regexp') {
    const c = compileLinear(pattern);
    if (typeof c === 'string') return c;
    regex = c;
  }
  const conf = Number.parseInt(text('confidence_no_fp'), 10);
  const scope = text('scope') !== '' ? text('scope') : null;
  return {
    id: /^[a-z]+\./.test(name) ? name : `ooni.${name}`,
    kind: scope === 'fp' ? 'false_positive' : 'blockpage',
    scope, location, pattern_type: pt as FingerprintPatternType, pattern, regex,
    countries: text('expected_countries').split(',').map((c) => c.trim().toUpperCase()).filter((c) => /^[A-Z]{2}$/.test(c)),
    confidence: Number.isFinite(conf) ? Math.min(10, Math.max(1, conf)) : null,
    source: text('source') !== '' ? text('source') : 'ooni',
    origin: `${source}:${line}`,
  };
}

/** OONI fastpath JSON: an array of row objects; the 1-based array index stands for the line. */
function parseOoniJson(text: string, source: string): Omit<ParsedFingerprints, 'format'> {
  const fingerprints: Fingerprint[] = [];
  const errors: FingerprintError[] = [];
  let rows: unknown;
  try {
    rows = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    errors.push({ source, line: 1, reason: `bad JSON (${e instanceof Error ? e.message : String(e)})` });
    return { fingerprints, errors };
  }
  if (!Array.isArray(rows)) {
    errors.push({ source, line: 1, reason: 'OONI fastpath fingerprints must be a JSON array of objects' });
    return { fingerprints, errors };
  }
  rows.forEach((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      errors.push({ source, line: i + 1, reason: 'entry is not a JSON object' });
      return;
    }
    const one = ooniRow(row as Record<string, unknown>, source, i + 1);
    if (typeof one === 'string') errors.push({ source, line: i + 1, reason: one });
    else fingerprints.push(one);
  });
  return { fingerprints, errors };
}
