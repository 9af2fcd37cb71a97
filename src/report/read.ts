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
  // Splitting the bytes at newlines (memchr) and decoding line by line costs a fraction of a
  // decoding stream plus node:readline's regex and a promise per line (`npm run bench`: analyze).
  const handle = await open(path, 'r');
  // Hold one line back: only at the end do we know whether the last line had its newline.
  let pending: { text: string; line: number } | null = null;
  let lineNumber = 0;
  let lastByte = -1;
  // Complete lines of the chunk, parsed one at a time as they are yielded (a parsed line is let go
  // before the next one is made: the young generation stays small).
  const ready: { text: string; line: number }[] = [];
  const take = (text: string): void => {
    lineNumber++;
    if (pending !== null) ready.push(pending);
    pending = { text, line: lineNumber };
  };
  /** The lines of the bytes before one `\n` (a lone `\r` inside also ends a line). */
  const takeText = (text: string, final: boolean): void => {
    let t = text;
    if (!final && t.endsWith('\r')) t = t.slice(0, -1);
    if (!t.includes('\r')) {
      take(t);
      return;
    }
    const parts = t.split('\r');
    if (final && parts[parts.length - 1] === '') parts.pop();
    for (const part of parts) take(part);
  };
  try {
    let carry: Buffer | null = null;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      const data = chunk.subarray(0, bytesRead);
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
      for (const l of ready.splice(0)) {
        const entry = parseLine(l.text, l.line);
        if (entry !== null) yield entry;
      }
    }
    if (carry !== null) takeText(carry.toString('utf8'), true);
    for (const l of ready.splice(0)) {
      const entry = parseLine(l.text, l.line);
      if (entry !== null) yield entry;
    }
  } finally {
    await handle.close();
  }
  const last = pending as { text: string; line: number } | null;
  if (last === null) return;
  if (lastByte !== 0x0a) {
    if (last.text.trim() !== '') {
      yield { line: last.line, error: 'torn last line (no trailing newline): the writer was interrupted mid-line' };
    }
    return;
  }
  const entry = parseLine(last.text, last.line);
  if (entry !== null) yield entry;
}

/** One complete line → an entry, or null for a blank line. */
function parseLine(text: string, line: number): ReportLine | null {
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
 * input is measured again. Bad and torn lines are ignored. A missing file (ENOENT) yields an
 * empty set; other read errors reject.
 */
export async function measuredInputs(path: string): Promise<Set<string>> {
  const inputs = new Set<string>();
  try {
    for await (const entry of readReport(path)) {
      if (entry.record !== undefined && !wasInterrupted(entry.record)) inputs.add(entry.record.input);
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
