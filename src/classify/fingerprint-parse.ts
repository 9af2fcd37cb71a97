/**
 * Parsing of fingerprint files (text → {@link Fingerprint}s), in three formats, with errors as
 * data (`FILE:LINE: reason`). Pure: the caller reads the file.
 *
 * 1. **censorprobe JSONL** (ours, documented in the README "Analysis, OONI import and fingerprints"):
 *    one JSON object a line, `#` comments and blank lines allowed:
 *    `{"id", "kind": "blockpage"|"false_positive", "location": "body"|"header.<name>"|"response"|"dns",
 *    "pattern_type": "full"|"prefix"|"contains"|"regexp", "pattern", "scope"?, "countries"?: [..],
 *    "confidence"?: 1-10, "source"?, "notes"?}`.
 * 2. **OONI blocking-fingerprints CSV** (`ooni/blocking-fingerprints`, peers-and-methods 4.2):
 *    header `name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,
 *    expected_countries,source,exp_url,notes`; scope `fp` = false positive; ids prefixed `ooni.`
 *    unless the name already carries a namespace. Parsed with csv-parse (notes span lines).
 * 3. **Censored Planet JSONL** (`blockpage_signatures.json`, `false_positive_signatures.json`,
 *    peers-and-methods 1.4): `{"fingerprint", "pattern"}`, a Python regex run with DOTALL on the
 *    rebuilt response; here a JS regex with the `s` flag on location `response`. False positive
 *    when the id starts with `x_fp`, `r_fp`, `p_fp` or `satellite_fp` or the file name contains
 *    `false_positive`; scope from the id prefix (`a_prod`→prod, `b_nat`→nat, `c_isp`→isp,
 *    `d_corp`→corp, `e_unk`→unk, `f_gen`→vbw: weak). Ids prefixed `cp.`.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import type { Fingerprint, FingerprintKind, FingerprintLocation, FingerprintPatternType } from './fingerprint.js';

/** The formats {@link parseFingerprints} reads. */
export type FingerprintFormat = 'censorprobe' | 'ooni-csv' | 'censored-planet';

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
 * detectFingerprintFormat guesses the format from the first non-blank, non-comment line: an OONI
 * CSV header (`name,scope,...`), a JSON object with `fingerprint` (Censored Planet) or `id`
 * (censorprobe). Null when none fits.
 */
export function detectFingerprintFormat(text: string): FingerprintFormat | null {
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

function compile(pattern: string, flags: string): RegExp | string {
  try {
    return new RegExp(pattern, flags);
  } catch (e) {
    return `invalid regexp (${e instanceof Error ? e.message : String(e)})`;
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
  return { format: fmt, ...parseJsonLines(text, source, fmt) };
}

function parseJsonLines(text: string, source: string, fmt: 'censorprobe' | 'censored-planet'): Omit<ParsedFingerprints, 'format'> {
  const fingerprints: Fingerprint[] = [];
  const errors: FingerprintError[] = [];
  const isFpFile = /false_positive/i.test(source);
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
      const regex = compile(pattern, 's');
      if (typeof regex === 'string') return fail(regex);
      const fp = isFpFile || /^(x_fp|r_fp|p_fp|satellite_fp)/.test(id);
      const prefix = /^([a-f])_(prod|nat|isp|corp|unk|gen)_/.exec(id)?.[2];
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
    let regex: RegExp | null = null;
    if (pt === 'regexp') {
      const r = compile(pattern, typeof o['regex_flags'] === 'string' ? o['regex_flags'] : '');
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
    const line = info.lines;
    const fail = (reason: string): void => {
      errors.push({ source, line, reason });
    };
    const name = r['name'] ?? '';
    const pt = r['pattern_type'] ?? '';
    const pattern = r['pattern'] ?? '';
    const loc = (r['location_found'] ?? '').toLowerCase();
    const location = checkLocation(loc);
    if (name === '') { fail("empty 'name'"); continue; }
    if (location === null) { fail(`'location_found' must be body, dns or header.<name>, got '${r['location_found'] ?? ''}'`); continue; }
    if (!PATTERN_TYPES.includes(pt)) { fail(`'pattern_type' must be one of ${PATTERN_TYPES.join(', ')}, got '${pt}'`); continue; }
    if (pattern === '') { fail("empty 'pattern'"); continue; }
    let regex: RegExp | null = null;
    if (pt === 'regexp') {
      const c = compile(pattern, '');
      if (typeof c === 'string') { fail(c); continue; }
      regex = c;
    }
    const conf = Number.parseInt(r['confidence_no_fp'] ?? '', 10);
    const scope = r['scope'] !== undefined && r['scope'] !== '' ? r['scope'] : null;
    fingerprints.push({
      id: /^[a-z]+\./.test(name) ? name : `ooni.${name}`,
      kind: scope === 'fp' ? 'false_positive' : 'blockpage',
      scope, location, pattern_type: pt as FingerprintPatternType, pattern, regex,
      countries: (r['expected_countries'] ?? '').split(',').map((c) => c.trim().toUpperCase()).filter((c) => /^[A-Z]{2}$/.test(c)),
      confidence: Number.isFinite(conf) ? Math.min(10, Math.max(1, conf)) : null,
      source: r['source'] !== undefined && r['source'] !== '' ? r['source'] : 'ooni',
      origin: `${source}:${line}`,
    });
  }
  return { fingerprints, errors };
}
