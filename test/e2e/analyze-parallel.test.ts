/**
 * `analyze` of a report large enough for the parallel reader (src/report/read-summaries.ts: worker
 * threads, at least PARALLEL_MIN_BYTES) through the built CLI: every line counted once, bad lines
 * named with their line numbers in file order (across batches: CRLF and lone-CR endings, bad JSON,
 * a verdict that fails the schema, a line longer than the reader's chunks, a torn last line), as the in-thread reader numbers them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PARALLEL_MIN_BYTES } from '../../src/report/read-summaries.js';
import { readReport } from '../../src/report/read.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { CLI, ROOT } from './cli-path.js';

const dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-analyze-parallel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analyze of a large report (worker threads)', () => {
  it('counts every line once and names the bad lines with the numbers the in-thread reader gives them', async () => {
    const good = readFileSync(path.join(ROOT, 'fixtures/reports/older-rules-report.jsonl'), 'utf8').split('\n').filter(Boolean);
    const invalid = JSON.stringify({ ...(JSON.parse(good[3] as string) as object), verdict: { status: 'ok' } });
    const parts: string[] = [];
    let size = 0;
    let i = 0;
    while (size < PARALLEL_MIN_BYTES + 4 * 1024 * 1024) {
      const line = good[i % good.length] as string;
      // Every 997th line is bad JSON, every 1009th fails the verdict schema, every 499th ends in CRLF,
      // every 1013th is two records separated by a lone CR; line 3001 is 2.5 MiB of bad JSON (no
      // newline in several of the reader's 1 MiB chunks).
      const text = i === 3000 ? `{"x":"${'a'.repeat(2.5 * 1024 * 1024)}"` : i % 997 === 500 ? '{oops' : i % 1009 === 700 ? invalid : i % 1013 === 900 ? `${line}\r${line}` : line;
      const piece = `${text}${i % 499 === 100 ? '\r\n' : '\n'}`;
      parts.push(piece);
      size += i === 3000 ? 0 : piece.length; // the long line comes on top
      i++;
    }
    parts.push((good[0] as string).slice(0, 100)); // torn last line
    const file = path.join(dir, 'large.jsonl');
    writeFileSync(file, parts.join(''));

    // What the in-thread reader (readReport) says about the same file.
    const expected: { where: string }[] = [];
    let measurements = 0;
    for await (const entry of readReport(file)) {
      const bad = entry.record === undefined || JSON.stringify(entry.record.verdict) === '{"status":"ok"}';
      if (bad) expected.push({ where: `large.jsonl:${entry.line}` });
      else measurements++;
    }
    expect(expected.length).toBeGreaterThan(10);

    const r = spawnSync(process.execPath, [CLI, 'analyze', '--json', 'large.jsonl'], { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    expect(r.status, r.stderr).toBe(EXIT.OK);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.filter((l) => l['kind'] === 'bad_line').map((l) => ({ where: l['where'] }))).toEqual(expected);
    expect(out.at(-1)).toMatchObject({ kind: 'summary', measurements, bad_lines: expected.length });
  }, 120_000);
});
