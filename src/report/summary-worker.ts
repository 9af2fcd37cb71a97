/**
 * Worker thread of `read-summaries.ts`: receives the bytes of whole report lines (every line ends
 * with `\n`), splits and decodes them as readReport does (`splitLineText`), and answers their
 * summaries (`summary.ts`) numbered from 1 within the batch, with the batch's line count, so that
 * the reader numbers them in the file. Messages: in {@link SummaryBatch} (the bytes transferred),
 * out {@link SummaryBatchResult}. Started and stopped by readSummaries only.
 */
import { parentPort } from 'node:worker_threads';
import { splitLineText } from './read.js';
import { summarizeLine, type LineSummary } from './summary.js';

/** A batch of whole lines to summarize. */
export interface SummaryBatch {
  id: number;
  ownVersion: string;
  /** Whole lines in the first `length` bytes of `bytes`. */
  bytes: ArrayBuffer;
  length: number;
}

/** The summaries of one batch (blank lines dropped; `line` counted from 1 in the batch) and its number of lines. */
export interface SummaryBatchResult {
  id: number;
  lines: number;
  summaries: LineSummary[];
}

parentPort?.on('message', (batch: SummaryBatch) => {
  const buf = Buffer.from(batch.bytes, 0, batch.length);
  const summaries: LineSummary[] = [];
  let line = 0;
  let start = 0;
  for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
    for (const text of splitLineText(buf.toString('utf8', start, nl), false)) {
      const s = summarizeLine({ line: ++line, text }, batch.ownVersion);
      if (s !== null) summaries.push(s);
    }
    start = nl + 1;
  }
  parentPort?.postMessage({ id: batch.id, lines: line, summaries } satisfies SummaryBatchResult);
});
