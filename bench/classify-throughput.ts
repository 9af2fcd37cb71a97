/**
 * classify-throughput: the fallback for the bench's `analyze` row while `censorprobe analyze` does
 * not exist: streams a JSONL report (`node --import tsx bench/classify-throughput.ts FILE`), parses
 * every line and re-runs src/classify's `classify` on its observations and control, counting the
 * verdict labels. Prints one JSON line: `{ measurements, ms, labels }` (ms from the first byte read
 * to the last line classified).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { classify } from '../src/classify/index.js';
import type { ReportRecord } from '../src/model/index.js';
import { verdictLabel } from '../src/runner/labels.js';

async function main(file: string): Promise<void> {
  const t0 = performance.now();
  const labels: Record<string, number> = {};
  let n = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const rec = JSON.parse(line) as ReportRecord;
    const { verdict } = classify({ url: rec.input, observations: rec.observations, control: rec.control });
    const label = verdictLabel(verdict);
    labels[label] = (labels[label] ?? 0) + 1;
    n++;
  }
  process.stdout.write(`${JSON.stringify({ measurements: n, ms: Math.round(performance.now() - t0), labels })}\n`);
}

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: classify-throughput <report.jsonl>\n');
  process.exit(2);
}
await main(file);
