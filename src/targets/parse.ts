/**
 * Target-list parsing: a Citizen Lab test-list CSV or a plain list of URLs, with line-numbered errors.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import type { CsvError } from 'csv-parse/sync';
import type { Target } from '../model/index.js';
import { normalizeUrl } from './normalize.js';

/**
 * TargetError is one rejected line of a target list.
 * - `source`: the file name as given (`list.txt`), `stdin` or `argv`;
 * - `line`: 1-based physical line (for `argv`, the 1-based position of the URL); 0 when the error
 *   concerns the whole source (e.g. the file cannot be read);
 * - `reason`: a short human sentence.
 * Display it with {@link formatTargetError}.
 */
export interface TargetError {
  source: string;
  line: number;
  reason: string;
}

/** The result of parsing: targets in input order (de-duplicated) and every rejected line. */
export interface ParsedTargets {
  targets: Target[];
  errors: TargetError[];
}

/**
 * The exact header of a Citizen Lab test list (citizenlab/test-lists `lists/*.csv`, checked by its
 * `scripts/lint-lists.py`; docs/verdict-rules.md).
 */
/** What a category code may look like (Citizen Lab test lists: `NEWS`, `HUMR`, `GRP`, ...; lenient on case and length). */
const CATEGORY_CODE = /^[A-Za-z0-9_-]{1,32}$/;

export const CITIZEN_LAB_HEADER = 'url,category_code,category_description,date_added,source,notes';

/**
 * formatTargetError renders an error as `FILE:LINE: reason`, or `FILE: reason` when `line` is 0
 * (the whole source failed, e.g. `list.txt: cannot read (ENOENT)`).
 */
export function formatTargetError(error: TargetError): string {
  return error.line > 0 ? `${error.source}:${error.line}: ${error.reason}` : `${error.source}: ${error.reason}`;
}

/**
 * parseTargetList parses the text of one target list; `source` names it in `Target.source`
 * (`SOURCE:LINE`) and in errors.
 *
 * Format detection: if the first line (after an optional UTF-8 BOM) is a CSV header naming a `url`
 * column ({@link csvHeaderColumns}: today's {@link CITIZEN_LAB_HEADER}, the 2015 Citizen Lab header
 * `url,category_code,category_description`, `url,category_code`, or any other order), the text is a
 * test-list CSV parsed with csv-parse (quoted commas and newlines in `notes` are fine); the `url`
 * column is measured and `category_code`, when present, kept (empty → null); the other columns are
 * ignored. A row whose column count differs from the header's, or with broken quoting, is an error
 * for that row; the other rows still count. A first line that starts with `url,` but is no header
 * (e.g. an empty column name) is rejected as a whole (line 1): guessing columns could measure the
 * wrong thing. So is a CSV whose header names no `url` column ({@link csvHeaderWithoutUrl}: a first
 * line with a comma and no `://`): one error for the whole file (line 0, `FILE: a CSV header
 * without a url column (columns: name, category_code)`).
 *
 * Otherwise the text is a plain list: one URL per line; blank lines and `#` comments (whole-line, or
 * trailing after whitespace: `https://a.example/ # note`) are ignored; surrounding whitespace is trimmed.
 * Plain-list targets have `category_code: null`.
 *
 * Every URL goes through {@link normalizeUrl}; a rejected URL becomes an error with its reason.
 * Duplicates (same normalised URL) are dropped silently, the first occurrence wins.
 * Never throws.
 */
export function parseTargetList(text: string, source: string): ParsedTargets {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const firstLine = (body.split('\n', 1)[0] ?? '').replace(/\r$/, '');
  const columns = csvHeaderColumns(firstLine);
  const noUrl = columns === null ? csvHeaderWithoutUrl(firstLine) : null;
  const parsed = columns !== null
    ? parseCitizenLabCsv(body, source, columns)
    : noUrl !== null
      ? { targets: [], errors: [{ source, line: 0, reason: `a CSV header without a url column (columns: ${noUrl.join(', ')})` }] }
      : firstLine.trim().toLowerCase().startsWith('url,') || looksLikeCsvHeader(firstLine)
        ? { targets: [], errors: [{ source, line: 1, reason: `unrecognised CSV header (a test list's header names its columns, one of them 'url', e.g. '${CITIZEN_LAB_HEADER}')` }] }
        : parsePlainList(body, source);
  return { targets: dedupeTargets(parsed.targets), errors: parsed.errors };
}

/** The columns a CSV header names (lower-cased, trimmed), when one of them is `url`. */
export interface CsvColumns {
  /** Number of columns of every row. */
  count: number;
  url: number;
  /** Index of `category_code`, or -1. */
  category: number;
}

/**
 * csvHeaderColumns recognises a test-list CSV header: a line whose comma-separated names (optionally
 * quoted, any case) include `url`, e.g. today's Citizen Lab header {@link CITIZEN_LAB_HEADER}, the
 * 2015 header `url,category_code,category_description`, or `url,category_code`. Returns null for
 * anything else (a plain list's first URL never is a header: it has `://`). Pure.
 */
export function csvHeaderColumns(line: string): CsvColumns | null {
  if (line.includes('://')) return null;
  const names = line.split(',').map((n) => n.trim().replace(/^"(.*)"$/, '$1').trim().toLowerCase());
  const url = names.indexOf('url');
  if (url < 0 || names.some((n) => n === '' || !/^[a-z0-9_ -]+$/.test(n))) return null;
  return { count: names.length, url, category: names.indexOf('category_code') };
}

/**
 * csvHeaderWithoutUrl recognises the first line of a CSV whose header names no `url` column
 * (`name,category_code`): a line with a comma, no URL scheme (`://`) and not a `#` comment. Reading
 * such a file as a plain list would measure `https://a.example/,NEWS` or fail every row with
 * "missing scheme"; the whole file is refused instead. Returns the column names as written (quotes
 * and surrounding spaces removed; at most 12, each cut to 40 characters), or null when the line is
 * not such a header. Pure.
 */
export function csvHeaderWithoutUrl(line: string): string[] | null {
  if (!looksLikeCsvHeader(line)) return null;
  const names = line.trim().split(',').map((n) => n.trim().replace(/^"(.*)"$/, '$1').trim());
  if (names.some((n) => n.toLowerCase() === 'url')) return null;
  const shown = names.slice(0, 12).map((n) => (n.length > 40 ? `${n.slice(0, 39)}…` : n));
  return names.length > 12 ? [...shown, '…'] : shown;
}

/** A first line that can only be a CSV header: a comma, no URL scheme (`://`), not a `#` comment. */
function looksLikeCsvHeader(line: string): boolean {
  const t = line.trim();
  return t.includes(',') && !t.includes('://') && !t.startsWith('#');
}

/**
 * dedupeTargets keeps the first target for each `url` (already normalised), in order.
 */
export function dedupeTargets(targets: readonly Target[]): Target[] {
  const seen = new Set<string>();
  const out: Target[] = [];
  for (const target of targets) {
    if (seen.has(target.url)) continue;
    seen.add(target.url);
    out.push(target);
  }
  return out;
}

/** A plain list: one URL per line with `#` comments. */
function parsePlainList(text: string, source: string): ParsedTargets {
  const targets: Target[] = [];
  const errors: TargetError[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    // A trailing comment needs whitespace before `#`, so `https://a.example/#top` stays a URL.
    const value = trimmed.replace(/\s+#.*$/, '');
    const result = normalizeUrl(value);
    if (result.ok) targets.push({ url: result.url, category_code: null, source: `${source}:${line}` });
    else errors.push({ source, line, reason: result.reason });
  });
  return { targets, errors };
}

/** One row as csv-parse returns it with `info` and `raw`. */
interface CsvRow {
  record: string[];
  info: { lines: number };
  raw: string;
}

/** A test-list CSV (header already recognised as `columns`). */
function parseCitizenLabCsv(text: string, source: string, columns: CsvColumns): ParsedTargets {
  const targets: Target[] = [];
  const errors: TargetError[] = [];
  // QUIRK: csv-parse counts a CRLF inside a quoted field as two lines; with LF only its `info.lines`
  // is exact. Only `url` and `category_code` are kept, so rewriting line breaks inside notes is harmless.
  const lf = text.replace(/\r\n?/g, '\n');
  let rows: CsvRow[];
  try {
    rows = parseCsv(lf, {
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined) => {
        const line = csvErrorLine(err);
        // One broken row can raise several errors while the parser resynchronises: keep the first.
        if (!errors.some((e) => e.line === line)) errors.push({ source, line, reason: `malformed CSV row: ${describeCsvError(err)}` });
        return undefined;
      },
    }) as unknown as CsvRow[];
  } catch (err) {
    errors.push({ source, line: csvErrorLine(err), reason: `malformed CSV: ${describeCsvError(err)}` });
    return { targets, errors };
  }

  for (const row of rows) {
    const line = startLine(row);
    if (line === 1) continue; // the header
    if (row.record.length !== columns.count) {
      errors.push({ source, line, reason: `expected ${columns.count} columns, got ${row.record.length}` });
      continue;
    }
    const url = row.record[columns.url] ?? '';
    const categoryCode = columns.category >= 0 ? (row.record[columns.category] ?? '') : '';
    const result = normalizeUrl(url);
    if (!result.ok) {
      errors.push({ source, line, reason: result.reason });
      continue;
    }
    const code = categoryCode.trim();
    // Citizen Lab codes are short upper-case words (NEWS, HUMR, GRP, XED, ...); anything else is not
    // a category and must not travel into reports and terminals (a list is untrusted input).
    if (code !== '' && !CATEGORY_CODE.test(code)) {
      errors.push({ source, line, reason: `category_code is not a category code (letters, digits, '_' or '-', at most 32)` });
      continue;
    }
    targets.push({ url: result.url, category_code: code === '' ? null : code, source: `${source}:${line}` });
  }
  // Skipped rows (on_skip) and rejected rows are collected separately: put them back in file order.
  errors.sort((a, b) => a.line - b.line);
  return { targets, errors };
}

/** A short explanation of a csv-parse error, without its own line reference. */
function describeCsvError(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === 'CSV_INVALID_CLOSING_QUOTE') return 'stray quote in a quoted field (write a quote inside quotes as "")';
  if (code === 'CSV_QUOTE_NOT_CLOSED') return 'quoted field never closed';
  if (code === 'CSV_INVALID_OPENING_QUOTE') return 'quote in the middle of an unquoted field';
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/ at line \d+/, '');
}

/** The line csv-parse reports in an error (`lines`), 0 when absent. */
function csvErrorLine(err: unknown): number {
  const lines = typeof err === 'object' && err !== null ? (err as { lines?: unknown }).lines : undefined;
  return typeof lines === 'number' ? lines : 0;
}

/**
 * The 1-based line where a CSV row starts: csv-parse's `info.lines` is the line where the row ends,
 * and `raw` holds the row text (preceded by any skipped empty lines, followed by its line break).
 */
function startLine(row: CsvRow): number {
  const rowText = row.raw.replace(/^[\r\n]+/, '').replace(/(?:\r\n|\n|\r)$/, '');
  let newlines = 0;
  for (const ch of rowText) if (ch === '\n') newlines++;
  return row.info.lines - newlines;
}
