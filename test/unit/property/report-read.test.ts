/**
 * Property-based tests (fast-check) of the report reader and of what the writer's lines become:
 * any bytes in a report file never make readReport throw (one entry per non-blank line, bad and torn
 * lines as data, in line order); records written by serializeRecord read back equal, whatever
 * strings they hold (terminal-unsafe characters are escaped in the line, not changed in value);
 * trimTornTail leaves exactly the whole lines.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readReport, serializeRecord, trimTornTail, hasUnsafeChars } from '../../../src/report/index.js';
import type { ReportRecord } from '../../../src/model/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string | Uint8Array): string => {
  const p = path.join(dir, `r${n++}.jsonl`);
  writeFileSync(p, content);
  return p;
};
async function readAll(p: string): Promise<{ line: number; record?: unknown; error?: string }[]> {
  const out: { line: number; record?: unknown; error?: string }[] = [];
  for await (const e of readReport(p)) out.push(e);
  return out;
}

const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }));
const record = fc.record({
  schema_version: fc.constantFrom('1.0.0', '1.1.0', '1.2.0', '1.9.3'),
  input: text,
  verdict: fc.record({ reasons: fc.array(text, { maxLength: 3 }) }),
  extra: fc.jsonValue(),
});

describe('readReport (property)', () => {
  it('never throws on any bytes; one entry per non-blank line, in order, each a record or an error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.array(fc.oneof(text, record.map((r) => JSON.stringify(r))), { maxLength: 10 }).map((l) => Buffer.from(l.join('\n')))), async (bytes) => {
        const entries = await readAll(file(bytes));
        const expected = Buffer.from(bytes).toString('utf8').split(/\r\n|\r|\n/).filter((l) => l.trim() !== '').length;
        expect(entries).toHaveLength(expected);
        let last = 0;
        for (const e of entries) {
          expect(e.line).toBeGreaterThan(last);
          last = e.line;
          expect((e.record === undefined) !== (e.error === undefined)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('records written as lines read back equal; the lines hold no raw terminal-unsafe character; a torn tail is flagged and trimmed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 8 }), fc.nat(), async (records, cut) => {
        const lines = records.map((r) => serializeRecord(r as unknown as ReportRecord));
        for (const l of lines) expect(hasUnsafeChars(l.slice(0, -1))).toBe(false);
        const whole = lines.join('');
        const back = await readAll(file(whole));
        expect(back.map((e) => e.record)).toEqual(records.map((r) => JSON.parse(JSON.stringify(r)) as unknown));
        // A torn copy: the same lines plus part of one more (no newline).
        const extra = lines[cut % lines.length] as string;
        const torn = whole + extra.slice(0, 1 + (cut % (extra.length - 1)));
        const p = file(torn);
        const entries = await readAll(p);
        expect(entries.at(-1)?.error).toMatch(/^torn last line/);
        expect(entries.filter((e) => e.record !== undefined)).toHaveLength(records.length);
        expect(await trimTornTail(p)).toBe(torn.length - whole.length === 0 ? 0 : Buffer.byteLength(torn) - Buffer.byteLength(whole));
        expect(readFileSync(p, 'utf8')).toBe(whole);
      }),
      { numRuns: 200 },
    );
  });
});
