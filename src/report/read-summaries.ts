/**
 * readSummaries: the summaries (`summary.ts`) of a report's lines, in file order. Parsing the JSON
 * of a line is nearly all the work of a summary (about 80% of `analyze` on 11 KB lines, `npm run
 * bench`), and lines are independent, so a large file is parsed by worker threads, one per core,
 * while this thread reads and splits the file and hands the results back in order.
 */
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { readReportLines, splitLineText } from './read.js';
import { summarizeLine, type LineSummary } from './summary.js';
import type { SummaryBatch, SummaryBatchResult } from './summary-worker.js';

/** Files smaller than this are summarized in the calling thread: starting a worker costs ~0.1 s of CPU. */
export const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;
/** Most workers started (the reading thread keeps up with about this many parsers). */
const MAX_WORKERS = 4;
/** Batches in flight per worker (bounds memory: about 2 MiB of lines per worker). */
const IN_FLIGHT_PER_WORKER = 2;

/** Options of {@link readSummaries}. */
export interface ReadSummariesOptions {
  /**
   * Worker threads (0: parse in this thread). Default: one per core (at most 4) for a file of at
   * least PARALLEL_MIN_BYTES when the built worker script exists (it does not when running from
   * the TypeScript sources), else 0.
   */
  workers?: number;
}

/** The built worker script next to this module, or null (TypeScript sources: no `.js` beside them). */
function workerScript(): URL | null {
  const url = new URL('./summary-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
}

/**
 * readSummaries yields the {@link LineSummary} of every non-blank line of the report at `path`,
 * in file order, with readReport's line numbers, errors and torn-line rule; `ownVersion` as in
 * validateReportLine. Rejects when the file cannot be opened or read, or when a worker fails (a
 * bug, not a bad line). The workers are stopped when the iteration ends, also early.
 */
export async function* readSummaries(path: string, ownVersion: string, opts: ReadSummariesOptions = {}): AsyncGenerator<LineSummary, void, undefined> {
  const script = workerScript();
  let workers = opts.workers;
  if (workers === undefined) {
    const size = await stat(path).then((s) => s.size, () => 0);
    workers = script !== null && size >= PARALLEL_MIN_BYTES ? Math.min(MAX_WORKERS, availableParallelism()) : 0;
  }
  if (workers <= 0 || script === null) {
    for await (const raw of readReportLines(path)) {
      const s = summarizeLine(raw, ownVersion);
      if (s !== null) yield s;
    }
    return;
  }
  yield* inWorkers(path, ownVersion, script, workers);
}

/** Bytes read from the file at a time (a batch is at least one chunk, cut at its last newline). */
const CHUNK_BYTES = 1 << 20;

/**
 * The parallel reader: the file is read in chunks, each cut after its last newline and handed
 * (transferred, not copied) round-robin to `n` workers that split, decode and summarize it; the
 * results are consumed in batch order and numbered from the line counts of the batches before.
 * The text after the last newline (a torn last line) is summarized here.
 */
async function* inWorkers(path: string, ownVersion: string, script: URL, n: number): AsyncGenerator<LineSummary, void, undefined> {
  const handle = await open(path, 'r');
  const pool = Array.from({ length: n }, () => new Worker(script));
  const waiting = new Map<number, { resolve: (r: SummaryBatchResult) => void; reject: (e: unknown) => void }>();
  let failure: unknown = null;
  let stopping = false;
  const fail = (e: unknown): void => {
    failure ??= e;
    for (const p of waiting.values()) p.reject(e);
    waiting.clear();
  };
  for (const w of pool) {
    w.on('message', (r: SummaryBatchResult) => {
      waiting.get(r.id)?.resolve(r);
      waiting.delete(r.id);
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (!stopping) fail(new Error(`report summary worker exited (code ${code})`));
    });
  }
  /** Hands `length` bytes at the start of `ab` (a buffer of its own: transferred, not copied) to a worker. */
  const send = (id: number, ab: ArrayBuffer, length: number): Promise<SummaryBatchResult> =>
    new Promise((resolve, reject) => {
      if (failure !== null) {
        reject(failure);
        return;
      }
      waiting.set(id, { resolve, reject });
      (pool[id % n] as Worker).postMessage({ id, ownVersion, bytes: ab, length } satisfies SummaryBatch, [ab]);
    });
  const queue: Promise<SummaryBatchResult>[] = [];
  let offset = 0;
  /** The next batch's summaries, numbered in the file. */
  const drain = async (): Promise<LineSummary[]> => {
    const r = await (queue.shift() as Promise<SummaryBatchResult>);
    for (const s of r.summaries) s.line += offset;
    offset += r.lines;
    return r.summaries;
  };
  // The bytes after the last newline read so far (the start of a line), carried into the next chunk.
  let carry: Buffer | null = null;
  let next = 0;
  try {
    for (;;) {
      // Each chunk is a buffer of its own, the carried bytes first and the file's next bytes read
      // right after them: the whole lines are transferred as they lie, never copied here.
      const head: number = carry?.length ?? 0;
      const chunk = Buffer.allocUnsafeSlow(head + CHUNK_BYTES);
      if (carry !== null) carry.copy(chunk, 0);
      const { bytesRead } = await handle.read(chunk, head, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      const filled: number = head + bytesRead;
      const last: number = chunk.subarray(0, filled).lastIndexOf(10);
      if (last === -1) {
        carry = chunk.subarray(0, filled);
        continue;
      }
      carry = last + 1 < filled ? Buffer.from(chunk.subarray(last + 1, filled)) : null;
      queue.push(send(next++, chunk.buffer as ArrayBuffer, last + 1));
      // Backpressure: at most IN_FLIGHT_PER_WORKER batches per worker ahead of the consumer.
      while (queue.length >= n * IN_FLIGHT_PER_WORKER) yield* await drain();
    }
    while (queue.length > 0) yield* await drain();
    if (carry !== null) {
      // The text after the last newline: its last line is torn (readReport's rule).
      const parts = splitLineText(carry.toString('utf8'), true);
      for (const [i, text] of parts.entries()) {
        const s = summarizeLine({ line: offset + i + 1, text, ...(i === parts.length - 1 ? { torn: true as const } : {}) }, ownVersion);
        if (s !== null) yield s;
      }
    }
  } finally {
    stopping = true;
    for (const p of queue) p.catch(() => undefined);
    await Promise.all(pool.map((w) => w.terminate()));
    await handle.close();
  }
}
