/**
 * The JSONL report writer: one measurement per line, each line written whole with one write call.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportRecord } from '../model/index.js';

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
   * handed to the OS (file) or the stream's write callback ran. Rejects with the fs/stream error
   * (ENOSPC, EACCES, ...), with a TypeError if the record cannot be serialised (cycle, BigInt), or
   * with an Error after `close()`.
   */
  write(record: ReportRecord): Promise<void>;
  /** Waits for pending writes, then closes the file (or ends the stream if `endStream`). Idempotent. */
  close(): Promise<void>;
  /** The file path, or null for a stream destination. */
  readonly path: string | null;
}

/**
 * createReportWriter opens a JSONL report destination.
 *
 * Guarantees (field-notes.md section 6: "written whole, a crash never leaves half a line"):
 * - each record becomes exactly one line (`JSON.stringify` never emits a raw newline) written with
 *   ONE `FileHandle.write` of the whole line including `\n`, on a file opened with flag `'a'`
 *   (O_APPEND, as miniooni's `-o`); only a short write (rare: disk full, signal) makes us write the rest;
 * - writes are serialised in call order, so concurrent `write()` calls never interleave; nothing is
 *   buffered beyond the lines whose `write()` is pending;
 * - if an existing file does not end with `\n` (a torn last line from an earlier crash), the first
 *   line we write is preceded by `\n`, so the torn line stays alone on its line (and `readReport`
 *   reports it as bad JSON) instead of corrupting our first record.
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
  return `${json}\n`;
}

/** A writer on a file opened with flag 'a'. */
function createFileWriter(path: string, mode: number): ReportWriter {
  let needsLeadingNewline = false;
  const opened: Promise<FileHandle> = (async () => {
    needsLeadingNewline = await endsWithoutNewline(path);
    return open(path, 'a', mode);
  })();
  opened.catch(() => undefined); // surfaced by write()/close(), never unhandled

  const writeLine = async (line: string): Promise<void> => {
    const handle = await opened;
    let buffer = Buffer.from(needsLeadingNewline ? `\n${line}` : line, 'utf8');
    needsLeadingNewline = false;
    // One write call for the whole line; loop only on a short write (the OS accepted part of it).
    for (;;) {
      const { bytesWritten } = await handle.write(buffer, 0, buffer.length);
      if (bytesWritten >= buffer.length) return;
      buffer = buffer.subarray(bytesWritten);
    }
  };

  return serialWriter(path, `report writer for ${path} is closed`, writeLine, async () => {
    await (await opened).close();
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
  const writeLine = (line: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      stream.write(line, (err?: Error | null) => (err ? reject(err) : resolve()));
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
