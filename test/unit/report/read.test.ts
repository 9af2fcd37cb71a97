import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportRecord } from '../../../src/model/index.js';
import { measuredInputs, readReport } from '../../../src/report/read.js';
import type { ReportLine } from '../../../src/report/read.js';
import { fullRecord } from './helpers/full-record.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'censorprobe-read-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (input: string): string => JSON.stringify(fullRecord(input));

async function collect(path: string): Promise<ReportLine[]> {
  const out: ReportLine[] = [];
  for await (const entry of readReport(path)) out.push(entry);
  return out;
}

/** A record of `input` whose TCP connect was cut by the user. */
function interrupted(input: string): string {
  const record: ReportRecord = fullRecord(input);
  const first = record.observations.tcp_connect[0];
  if (first) first.status = { success: false, failure: 'interrupted' };
  return JSON.stringify(record);
}

describe('readReport', () => {
  it('yields each record with its line number and reports a torn last line as an error', async () => {
    const path = join(dir, 'torn.jsonl');
    const torn = line('https://example.org/3');
    await writeFile(path, `${line('https://example.org/1')}\n${line('https://example.org/2')}\n${torn.slice(0, torn.length / 2)}`);
    const entries = await collect(path);
    expect(entries.map((e) => [e.line, e.record?.input, e.error])).toEqual([
      [1, 'https://example.org/1', undefined],
      [2, 'https://example.org/2', undefined],
      [3, undefined, 'torn last line (no trailing newline): the writer was interrupted mid-line'],
    ]);
  });

  it('reports a last line without its newline as torn even when it happens to parse', async () => {
    const path = join(dir, 'no-newline.jsonl');
    await writeFile(path, `${line('https://example.org/1')}\n${line('https://example.org/2')}`);
    const entries = await collect(path);
    expect(entries[1]).toEqual({ line: 2, error: 'torn last line (no trailing newline): the writer was interrupted mid-line' });
  });

  it('reports bad lines as errors without stopping, skips blank lines, accepts CRLF', async () => {
    const path = join(dir, 'mixed.jsonl');
    const v2 = JSON.stringify({ ...fullRecord(), schema_version: '2.0.0' });
    const noInput = JSON.stringify({ schema_version: '1.0.0' });
    await writeFile(
      path,
      [line('https://example.org/a'), '', '{"broken', '[1,2]', v2, noInput, '{"input":"x"}', `${line('https://example.org/b')}\r`, ''].join('\n'),
    );
    const entries = await collect(path);
    expect(entries.map((e) => [e.line, e.record?.input ?? e.error?.replace(/\(.*$/, '(...)')])).toEqual([
      [1, 'https://example.org/a'],
      [3, 'bad JSON (...)'],
      [4, 'not a report record (...)'],
      [5, "unsupported schema_version '2.0.0' (...)"],
      [6, 'not a report record (...)'],
      [7, 'not a report record (...)'],
      [8, 'https://example.org/b'],
    ]);
  });

  it('ends a line at a lone CR too (as node:readline does), across read chunks, and decodes each line as UTF-8', async () => {
    const path = join(dir, 'cr.jsonl');
    const big = line(`https://example.org/${'é'.repeat(700_000)}`); // longer than one read chunk, multi-byte
    await writeFile(path, `${line('https://example.org/a')}\r${line('https://example.org/b')}\r\r\n${big}\n\u00e9\n`);
    const entries = await collect(path);
    expect(entries.map((e) => [e.line, e.record?.input.slice(0, 25) ?? e.error?.replace(/\(.*$/, '(...)')])).toEqual([
      [1, 'https://example.org/a'],
      [2, 'https://example.org/b'],
      [4, `https://example.org/${'é'.repeat(5)}`],
      [5, 'bad JSON (...)'],
    ]);
  });

  it('yields nothing for an empty file and rejects for a missing one', async () => {
    const path = join(dir, 'empty.jsonl');
    await writeFile(path, '');
    expect(await collect(path)).toEqual([]);
    await expect(collect(join(dir, 'missing.jsonl'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('streams a large report line by line', async () => {
    const path = join(dir, 'large.jsonl');
    const one = line('https://example.org/x');
    await writeFile(path, `${one}\n`.repeat(3000));
    let count = 0;
    for await (const entry of readReport(path)) if (entry.record) count++;
    expect(count).toBe(3000);
  });
});

describe('measuredInputs', () => {
  it('returns the inputs of whole records, leaving out interrupted measurements and bad lines', async () => {
    const path = join(dir, 'resume.jsonl');
    const torn = line('https://example.org/torn');
    await writeFile(
      path,
      [line('https://example.org/1'), interrupted('https://example.org/2'), '{"bad', line('https://example.org/3'), torn.slice(0, 50)].join('\n'),
    );
    expect(await measuredInputs(path)).toEqual(new Set(['https://example.org/1', 'https://example.org/3']));
    const bad: number[] = [];
    await measuredInputs(path, (e) => void bad.push(e.line));
    expect(bad).toEqual([3, 5]);
  });

  it('returns an empty set when the report does not exist yet', async () => {
    expect(await measuredInputs(join(dir, 'not-yet.jsonl'))).toEqual(new Set());
  });
});
