/**
 * The JSONL report writer: one measurement per line, each line written whole with one write call.
 */
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportRecord } from '../model/index.js';
import { ReportWriteError } from './errors.js';
import { jsonSafe } from './unsafe-chars.js';

/** Where a report goes: a file (appended to, created if missing) or an already open stream (e.g. stdout). */
export type ReportDestination = { path: string } | { stream: NodeJS.WritableStream };

/** Options of {@link createReportWriter}. */
export interface ReportWriterOptions {
  /** File mode when the file is created. Optional, default `0o600` (as miniooni: reports are personal data). */
  mode?: number;
  /** For a stream destination: call `stream.end()` on close. Optional, default false (never end stdout). */
  endStream?: boolean;
}

/** ReportWriter appends report lines; see {@link createReportWriter}. */
export interface ReportWriter {
  /**
   * Serialises `record` to one line and writes it with one write call. Resolves once the line was
   * handed to the OS (file) or the stream's write callback ran. Rejects with a
   * {@link ReportWriteError} when the OS refused the write (ENOSPC, EIO, EPIPE...: the partly
   * written line is cut off a regular file first) or when the report file was removed or replaced
   * since it was opened (checked before every line); once one write failed, every later write
   * rejects with the same error. Rejects with a TypeError if the record cannot be serialised
   * (cycle, BigInt; nothing written, the writer goes on), or with an Error after `close()`.
   */
  write(record: ReportRecord): Promise<void>;
  /**
   * Waits for pending writes, then closes the file (or ends the stream if `endStream`). Idempotent.
   * For a file, rejects with a {@link ReportWriteError} when the report was removed or replaced
   * since the last write (the file is still closed).
   */
  close(): Promise<void>;
  /** The file path, or null for a stream destination. */
  readonly path: string | null;
}

/**
 * createReportWriter opens a JSONL report destination.
 *
 * Guarantees (docs/report-format.md: "written whole, a crash never leaves half a line"):
 * - each record becomes exactly one line (`JSON.stringify` never emits a raw newline) written with
 *   ONE `FileHandle.write` of the whole line including `\n`, on a file opened with flag `'a'`
 *   (O_APPEND, as miniooni's `-o`); only a short write (rare: disk full, signal) makes us write the rest;
 * - writes are serialised in call order, so concurrent `write()` calls never interleave; nothing is
 *   buffered beyond the lines whose `write()` is pending;
 * - if an existing file does not end with `\n` (a torn last line from an earlier crash), the first
 *   line we write is preceded by `\n`, so the torn line stays alone on its line (and `readReport`
 *   reports it as bad JSON) instead of corrupting our first record.
 * - a write error cuts the torn line off (ftruncate to the end of the last whole line) and stops the
 *   writer (every later write rejects), so the file holds only whole lines; a removed or replaced
 *   report file is detected before each line and on close (docs/report-format.md).
 * The file is opened at once (created with `mode` if missing); an open error rejects the first
 * `write()` (and `close()`).
 *
 * Limit (measured in test/unit/report/writer.test.ts): when the process dies from a FATAL signal
 * (SIGKILL, or SIGINT/SIGTERM with no handler installed) during the write of a line longer than a
 * page, Linux may stop that one write at a page boundary (`generic_perform_write` checks
 * `fatal_signal_pending` per page). The damage is then only an unterminated last line, which
 * `readReport` reports as torn and which the next writer isolates (see above). A handled signal does
 * not interrupt a regular-file write, so the CLI should install SIGINT/SIGTERM handlers that await
 * `close()` before exiting: then every line is whole.
 */
export function createReportWriter(dest: ReportDestination, opts: ReportWriterOptions = {}): ReportWriter {
  if ('path' in dest) return createFileWriter(dest.path, opts.mode ?? 0o600);
  return createStreamWriter(dest.stream, opts.endStream ?? false);
}

/**
 * defaultReportPath names a report file after the run's start time, in UTC:
 * `join(dir, 'censorprobe-20261129T235334Z.jsonl')` (seconds precision; ISO-8601 basic format).
 */
export function defaultReportPath(now: Date, dir: string): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  return join(dir, `censorprobe-${stamp}.jsonl`);
}

/** serializeRecord turns a record into one JSONL line (with its `\n`). Throws TypeError when it cannot. */
export function serializeRecord(record: ReportRecord): string {
  const json = JSON.stringify(record) as string | undefined;
  if (typeof json !== 'string' || !json.startsWith('{')) throw new TypeError('report record must be a JSON object');
  // No raw C1/bidi control in a report: `cat report.jsonl` on a terminal is safe (same JSON value).
  return `${jsonSafe(json)}\n`;
}

/** A writer on a file opened with flag 'a'. */
function createFileWriter(path: string, mode: number): ReportWriter {
  let needsLeadingNewline = false;
  /** File size after the last whole line (where a torn line is cut back to). */
  let goodSize = 0;
  let identity: { dev: number; ino: number } | null = null;
  let lines = 0;
  let failed: ReportWriteError | null = null;
  const opened: Promise<FileHandle> = (async () => {
    needsLeadingNewline = await endsWithoutNewline(path);
    const handle = await open(path, 'a', mode);
    const st = await handle.stat();
    goodSize = st.size;
    // Only a regular file can be checked for removal/replacement and cut back (not /dev/stdout, a FIFO).
    identity = st.isFile() ? { dev: st.dev, ino: st.ino } : null;
    return handle;
  })();
  opened.catch(() => undefined); // surfaced by write()/close(), never unhandled

  /**
   * Throws when the name no longer leads to the file we write (deleted, moved, replaced). A
   * synchronous stat: one system call per line, where the promise API's round trip through the
   * thread pool cost more than the line's write (`npm run bench`).
   */
  const checkIdentity = (): void => {
    if (identity === null) return;
    const st = statSync(path, { throwIfNoEntry: false });
    if (st === undefined) throw new ReportWriteError(path, { kind: 'removed' }, lines);
    if (st.dev !== identity.dev || st.ino !== identity.ino) throw new ReportWriteError(path, { kind: 'replaced' }, lines);
  };

  const writeLine = async (line: string): Promise<void> => {
    if (failed !== null) throw failed;
    let handle: FileHandle;
    try {
      handle = await opened;
    } catch (err) {
      failed = new ReportWriteError(path, { kind: 'io', code: (err as NodeJS.ErrnoException).code ?? 'EIO' }, lines);
      throw failed;
    }
    try {
      checkIdentity();
      let buffer = Buffer.from(needsLeadingNewline ? `\n${line}` : line, 'utf8');
      const total = buffer.length;
      // One write call for the whole line; loop only on a short write (the OS accepted part of it).
      for (;;) {
        const { bytesWritten } = await handle.write(buffer, 0, buffer.length);
        if (bytesWritten >= buffer.length) break;
        if (bytesWritten === 0) throw Object.assign(new Error('write wrote nothing'), { code: 'EIO' });
        buffer = buffer.subarray(bytesWritten);
      }
      needsLeadingNewline = false;
      goodSize += total;
      lines++;
    } catch (err) {
      if (err instanceof ReportWriteError) {
        failed = err;
        throw err;
      }
      // Cut the partly written line off, so the file holds only whole lines (O_APPEND: we are
      // the only writer, the report lock sees to it, so goodSize is the end of our last line).
      let tornRemoved = false;
      if (identity !== null) {
        const size = (await handle.stat().catch(() => null))?.size;
        if (size !== undefined && size > goodSize) tornRemoved = await handle.truncate(goodSize).then(() => true, () => false);
      }
      failed = new ReportWriteError(path, { kind: 'io', code: (err as NodeJS.ErrnoException).code ?? 'EIO' }, lines, tornRemoved);
      throw failed;
    }
  };

  return serialWriter(path, `report writer for ${path} is closed`, writeLine, async () => {
    const handle = await opened;
    try {
      if (failed === null) {
        try {
          checkIdentity();
        } catch (e) {
          failed = e instanceof ReportWriteError ? e : new ReportWriteError(path, { kind: 'io', code: (e as NodeJS.ErrnoException).code ?? 'EIO' }, lines);
          throw failed;
        }
      }
    } finally {
      await handle.close();
    }
  });
}

/** True when `path` exists, is not empty and its last byte is not `\n`. */
async function endsWithoutNewline(path: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return false; // missing (or unreadable: the append open will report it)
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

/** A writer on a caller-owned stream. */
function createStreamWriter(stream: NodeJS.WritableStream, endStream: boolean): ReportWriter {
  let lines = 0;
  let failed: ReportWriteError | null = null;
  const writeLine = (line: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (failed !== null) {
        reject(failed);
        return;
      }
      stream.write(line, (err?: Error | null) => {
        if (!err) {
          lines++;
          resolve();
          return;
        }
        failed = new ReportWriteError(null, { kind: 'io', code: (err as NodeJS.ErrnoException).code ?? 'EIO' }, lines);
        reject(failed);
      });
    });
  return serialWriter(null, 'report writer is closed', writeLine, () =>
    endStream ? new Promise<void>((resolve) => { stream.end(() => resolve()); }) : Promise.resolve(),
  );
}

/**
 * The writer both destinations share: each record serialised to one line, lines written one after
 * another in call order (a failed write rejects its own call only), close after the last write.
 */
function serialWriter(path: string | null, closedMessage: string, writeLine: (line: string) => Promise<void>, finish: () => Promise<void>): ReportWriter {
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  return {
    path,
    write(record) {
      if (closed) return Promise.reject(new Error(closedMessage));
      let line: string;
      try {
        line = serializeRecord(record);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new TypeError(String(err)));
      }
      const done = chain.then(() => writeLine(line));
      chain = done.catch(() => undefined);
      return done;
    },
    async close() {
      if (closed) return chain;
      closed = true;
      chain = chain.then(finish);
      return chain;
    },
  };
}
