/**
 * Summaries of report lines (analyze without --reclassify): readReport's checks, then the schema's
 * verdict scope; readSummaries in this thread (the worker threads run from the built files only:
 * test/e2e/analyze-parallel.test.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../../src/model/index.js';
import { readSummaries } from '../../../src/report/read-summaries.js';
import { summarizeLine } from '../../../src/report/summary.js';
import { fullRecord } from './helpers/full-record.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'censorprobe-summary-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('summarizeLine', () => {
  it('keeps the input and the verdict fields a summary shows, not the evidence', () => {
    const record = fullRecord('https://example.org/a');
    const s = summarizeLine({ line: 3, text: JSON.stringify(record) }, SCHEMA_VERSION);
    const { evidence: _evidence, ...shown } = record.verdict;
    expect(s).toEqual({ line: 3, input: 'https://example.org/a', verdict: shown });
  });

  it('gives the reader error, the schema errors, nothing for a blank line, and the torn rule', () => {
    expect(summarizeLine({ line: 1, text: '{oops' }, SCHEMA_VERSION)?.error).toMatch(/^bad JSON/);
    const invalid = summarizeLine({ line: 2, text: JSON.stringify({ ...fullRecord(), verdict: { status: 'ok' } }) }, SCHEMA_VERSION);
    expect(invalid?.invalid?.[0]).toMatch(/^\/verdict/);
    expect(summarizeLine({ line: 3, text: '  ' }, SCHEMA_VERSION)).toBeNull();
    expect(summarizeLine({ line: 4, text: JSON.stringify(fullRecord()), torn: true }, SCHEMA_VERSION)).toEqual({ line: 4, error: 'torn last line (no trailing newline): the writer was interrupted mid-line' });
  });
});

describe('readSummaries', () => {
  it('yields the summary of every non-blank line in order, in this thread', async () => {
    const path = join(dir, 'r.jsonl');
    await writeFile(path, [JSON.stringify(fullRecord('https://example.org/1')), '', '{oops', `${JSON.stringify(fullRecord('https://example.org/2'))}\r`, ''].join('\n'));
    const out = [];
    for await (const s of readSummaries(path, SCHEMA_VERSION, { workers: 0 })) out.push([s.line, s.input ?? s.error?.slice(0, 8)]);
    expect(out).toEqual([
      [1, 'https://example.org/1'],
      [3, 'bad JSON'],
      [4, 'https://example.org/2'],
    ]);
    await expect(readSummaries(join(dir, 'missing.jsonl'), SCHEMA_VERSION).next()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
