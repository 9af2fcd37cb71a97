/**
 * settleTail (src/report/tail.ts): before `run --resume`, a report ends with a whole line: a torn
 * last line is cut off, a whole record that only lost its final newline is kept. Files in a temp dir.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleTail } from '../../../src/report/index.js';
import { fullRecord } from './helpers/full-record.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'censorprobe-tail-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (input: string): string => JSON.stringify(fullRecord(input));

describe('settleTail', () => {
  it('leaves a report that ends with a newline, and an empty one, as they are', async () => {
    const p = join(dir, 'whole.jsonl');
    await writeFile(p, `${line('https://example.org/1')}\n`);
    expect(await settleTail(p)).toEqual({ cutBytes: 0, completed: false });
    await writeFile(p, '');
    expect(await settleTail(p)).toEqual({ cutBytes: 0, completed: false });
  });

  it('keeps a whole last record without its newline and appends the newline', async () => {
    const p = join(dir, 'nonl.jsonl');
    const text = `${line('https://example.org/1')}\n${line('https://example.org/2')}`;
    await writeFile(p, text);
    expect(await settleTail(p)).toEqual({ cutBytes: 0, completed: true });
    expect(await readFile(p, 'utf8')).toBe(`${text}\n`);
  });

  it('cuts a torn last line, or a last line that is not a record, off after the last newline', async () => {
    const p = join(dir, 'torn.jsonl');
    const first = `${line('https://example.org/1')}\n`;
    const torn = line('https://example.org/2').slice(0, 300);
    await writeFile(p, first + torn);
    expect(await settleTail(p)).toEqual({ cutBytes: Buffer.byteLength(torn), completed: false });
    expect(await readFile(p, 'utf8')).toBe(first);
    await writeFile(p, `${first}{"just":"json"}`);
    expect(await settleTail(p)).toEqual({ cutBytes: 15, completed: false });
    await writeFile(p, line('https://example.org/3').slice(0, 50));
    expect(await settleTail(p)).toEqual({ cutBytes: 50, completed: false });
    expect(await readFile(p, 'utf8')).toBe('');
  });
});
