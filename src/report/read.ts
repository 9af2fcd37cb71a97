/**
 * Streaming reader of JSONL reports (for `--resume` and `analyze`): one entry per line, bad lines
 * reported as data, never thrown.
 */
import { open } from 'node:fs/promises';
import { SCHEMA_VERSION } from '../model/index.js';
import type { ReportRecord } from '../model/index.js';

/**
 * ReportLine is one non-blank line of a report: `line` is 1-based; exactly one of `record` (the
 * parsed line) and `error` (why it is not usable, a short sentence) is set.
 */
export interface ReportLine {
  line: number;
  record?: ReportRecord;
  error?: string;
}

/** The major version this build reads (`1` for SCHEMA_VERSION `1.x.y`). */
const SUPPORTED_MAJOR = SCHEMA_VERSION.split('.')[0] ?? '';

/** Bytes read from the file at a time. */
const CHUNK_BYTES = 1 << 20;

/**
 * readReport streams a JSONL report line by line (the file is read in 1 MiB chunks, never whole).
 *
 * Yields `{ line, record }` for each line that is a JSON object with string `schema_version` (same
 * major version as this build's SCHEMA_VERSION) and string `input`; it does NOT validate the rest
 * (use `validateRecord`). Otherwise yields `{ line, error }`:
 * - `bad JSON (<parser message>)`;
 * - `not a report record (...)`, `unsupported schema_version 'X' (this build reads 1.x.y)`;
 * - `torn last line (no trailing newline): the writer was interrupted mid-line`, for a last line
 *   without `\n` (our writer always ends a line with `\n` in the same write), even if it parses.
 * Lines end at `\n`, `\r\n` or a lone `\r` (as node:readline splits them); each line is decoded
 * as UTF-8 on its own (invalid bytes, and an incomplete sequence at the very end, become U+FFFD).
 * Blank lines are skipped. Bad lines never throw. The iteration rejects only when the file cannot
 * be opened or read (e.g. ENOENT, EISDIR).
 */
export async function* readReport(path: string): AsyncGenerator<ReportLine, void, undefined> {
  for await (const raw of readReportLines(path)) {
    const entry = raw.torn ? tornLine(raw) : parseReportLine(raw.text, raw.line);
    if (entry !== null) yield entry;
  }
}

/**
 * RawReportLine is one line of a report file before parsing: its 1-based number, its text (decoded,
 * without its line ending), and `torn` on a last line that has no trailing `\n`.
 */
export interface RawReportLine {
  line: number;
  text: string;
  torn?: true;
}

/** The torn-line entry of a last line without its newline, or null when that line is blank. */
export function tornLine(raw: RawReportLine): ReportLine | null {
  return raw.text.trim() === '' ? null : { line: raw.line, error: TORN_LINE };
}

const TORN_LINE = 'torn last line (no trailing newline): the writer was interrupted mid-line';

/**
 * readReportLines streams the lines of a report file as {@link readReport} splits them (same line
 * endings, numbering and decoding; blank lines included), unparsed: for readers that parse
 * elsewhere (`read-summaries.ts` parses in worker threads). Rejects like readReport.
 */
export async function* readReportLines(path: string): AsyncGenerator<RawReportLine, void, undefined> {
  // Splitting the bytes at newlines (memchr) and decoding line by line costs a fraction of a
  // decoding stream plus node:readline's regex and a promise per line (`npm run bench`: analyze).
  const handle = await open(path, 'r');
  // Hold one line back: only at the end do we know whether the last line had its newline.
  let pending: RawReportLine | null = null;
  let lineNumber = 0;
  let lastByte = -1;
  const ready: RawReportLine[] = [];
  const take = (text: string): void => {
    lineNumber++;
    if (pending !== null) ready.push(pending);
    pending = { text, line: lineNumber };
  };
  const takeText = (text: string, final: boolean): void => {
    if (!text.includes('\r')) take(text);
    else for (const part of splitLineText(text, final)) take(part);
  };
  // The next chunk is read while the current one is parsed (one read in flight at a time).
  const readChunk = (): Promise<Buffer> => {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    const read = handle.read(chunk, 0, CHUNK_BYTES, null).then(({ bytesRead }) => chunk.subarray(0, bytesRead));
    read.catch(() => undefined); // awaited below; never unhandled when the caller stops early
    return read;
  };
  try {
    let carry: Buffer | null = null;
    let next = readChunk();
    for (;;) {
      const data = await next;
      const bytesRead = data.length;
      if (bytesRead === 0) break;
      next = readChunk();
      lastByte = data[bytesRead - 1] ?? -1;
      let start = 0;
      let nl = data.indexOf(10);
      if (carry !== null) {
        if (nl === -1) {
          carry = Buffer.concat([carry, data]);
          continue;
        }
        takeText(Buffer.concat([carry, data.subarray(0, nl)]).toString('utf8'), false);
        carry = null;
        start = nl + 1;
        nl = data.indexOf(10, start);
      }
      for (; nl !== -1; nl = data.indexOf(10, start)) {
        takeText(data.toString('utf8', start, nl), false);
        start = nl + 1;
      }
      if (start < bytesRead) carry = Buffer.from(data.subarray(start));
      yield* ready.splice(0);
    }
    if (carry !== null) takeText(carry.toString('utf8'), true);
    yield* ready.splice(0);
  } finally {
    await handle.close();
  }
  const last = pending as RawReportLine | null;
  if (last === null) return;
  yield lastByte !== 0x0a ? { ...last, torn: true } : last;
}

/**
 * splitLineText: the lines of the text before one `\n` (`final`: the text after the file's last
 * `\n`), as node:readline splits them: a `\r` before the `\n` is part of the line ending, a lone
 * `\r` ends a line too, and at the very end a `\r` adds no empty line. Pure.
 */
export function splitLineText(text: string, final: boolean): string[] {
  let t = text;
  if (!final && t.endsWith('\r')) t = t.slice(0, -1);
  if (!t.includes('\r')) return [t];
  const parts = t.split('\r');
  if (final && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * parseReportLine parses one complete line (see {@link readReport} for the checks and the error
 * sentences): an entry, or null for a blank line. Never throws.
 */
export function parseReportLine(text: string, line: number): ReportLine | null {
  if (text.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { line, error: `bad JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { line, error: 'not a report record (not a JSON object)' };
  }
  const { schema_version: version, input } = value as { schema_version?: unknown; input?: unknown };
  if (typeof version !== 'string') return { line, error: 'not a report record (no schema_version)' };
  if (version.split('.')[0] !== SUPPORTED_MAJOR) {
    return { line, error: `unsupported schema_version '${version}' (this build reads ${SUPPORTED_MAJOR}.x.y)` };
  }
  if (typeof input !== 'string') return { line, error: 'not a report record (no input)' };
  return { line, record: value as ReportRecord };
}

/**
 * measuredInputs returns the `input` URLs already measured in a report, for `--resume`.
 *
 * A record counts unless its measurement was cut short: a record where any observation or the
 * control has failure `interrupted` (our vocabulary: the run was stopped, e.g. SIGINT), or whose
 * control failure is `unknown_failure: internal_error` (a bug ended it), is left out so that the
 * input is measured again. Bad and torn lines count for nothing; each is passed to
 * `onBadLine` (optional) so that the caller can say so. A missing file (ENOENT) yields an empty
 * set; other read errors reject.
 */
export async function measuredInputs(path: string, onBadLine?: (entry: ReportLine) => void): Promise<Set<string>> {
  const inputs = new Set<string>();
  try {
    for await (const entry of readReport(path)) {
      if (entry.record !== undefined) {
        if (!wasInterrupted(entry.record)) inputs.add(entry.record.input);
      } else onBadLine?.(entry);
    }
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return inputs;
    throw err;
  }
  return inputs;
}

/** True when any failure in the record is `interrupted`. */
function wasInterrupted(record: ReportRecord): boolean {
  const o = record.observations as Partial<ReportRecord['observations']> | undefined;
  const failures: unknown[] = [
    ...(o?.queries ?? []).map((q) => q.failure),
    ...(o?.tcp_connect ?? []).map((c) => c.status?.failure),
    ...(o?.tls_handshakes ?? []).map((h) => h.failure),
    ...(o?.requests ?? []).map((r) => r.failure),
    record.control?.failure,
  ];
  // An internal error (src/runner/internal-error.ts) is measured again too.
  return failures.includes('interrupted') || record.control?.failure === 'unknown_failure: internal_error';
}
