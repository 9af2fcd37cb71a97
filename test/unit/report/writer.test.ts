import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportRecord } from '../../../src/model/index.js';
import { readReport } from '../../../src/report/read.js';
import { validateRecord } from '../../../src/report/schema.js';
import { createReportWriter, defaultReportPath } from '../../../src/report/writer.js';
import { fullRecord } from './helpers/full-record.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WRITE_LOOP = fileURLToPath(new URL('./helpers/write-loop.ts', import.meta.url));

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'censorprobe-writer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A record whose first response body has `size` bytes. */
function sizedRecord(input: string, size: number): ReportRecord {
  const record = fullRecord(input);
  const response = record.observations.requests[0]?.response;
  if (response) response.body = 'b'.repeat(size);
  return record;
}

/** Splits a report file into lines, asserting it ends with a newline. */
async function wholeLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

describe('createReportWriter to a file', () => {
  it('writes many concurrent records as whole lines, one per record, in call order', async () => {
    const path = join(dir, 'concurrent.jsonl');
    const writer = createReportWriter({ path });
    const sizes = Array.from({ length: 200 }, (_, i) => (i === 100 ? 1 << 20 : (i * 4099) % 70000));
    await Promise.all(sizes.map((size, i) => writer.write(sizedRecord(`https://example.org/${i}`, size))));
    await writer.close();
    const lines = await wholeLines(path);
    expect(lines).toHaveLength(200);
    const records = lines.map((line) => JSON.parse(line) as ReportRecord);
    expect(records.map((r) => r.input)).toEqual(sizes.map((_, i) => `https://example.org/${i}`));
    expect(records.map((r) => (r.observations.requests[0]?.response?.body as string).length)).toEqual(sizes);
    expect(validateRecord(records[100])).toEqual({ ok: true });
  });

  it('keeps lines whole when two writers append to the same file at once (O_APPEND)', async () => {
    const path = join(dir, 'two-writers.jsonl');
    const a = createReportWriter({ path });
    const b = createReportWriter({ path });
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).write(sizedRecord(`https://example.org/${i}`, 1000 + i * 97))),
    );
    await Promise.all([a.close(), b.close()]);
    const lines = await wholeLines(path);
    expect(lines).toHaveLength(100);
    expect(new Set(lines.map((l) => (JSON.parse(l) as ReportRecord).input)).size).toBe(100);
  });

  it('appends to an existing report and ends a torn last line before its first record', async () => {
    const path = join(dir, 'torn-before.jsonl');
    const earlier = JSON.stringify(fullRecord('https://example.org/earlier'));
    await writeFile(path, `${earlier}\n${earlier.slice(0, 40)}`);
    const writer = createReportWriter({ path });
    await writer.write(fullRecord('https://example.org/after'));
    await writer.write(fullRecord('https://example.org/after2'));
    await writer.close();
    const entries = [];
    for await (const entry of readReport(path)) entries.push(entry);
    expect(entries.map((e) => [e.line, e.record?.input ?? null, e.error?.slice(0, 9) ?? null])).toEqual([
      [1, 'https://example.org/earlier', null],
      [2, null, 'bad JSON '],
      [3, 'https://example.org/after', null],
      [4, 'https://example.org/after2', null],
    ]);
  });

  it('creates the file with mode 0600 by default and exposes its path', async () => {
    const path = join(dir, 'mode.jsonl');
    const writer = createReportWriter({ path });
    expect(writer.path).toBe(path);
    await writer.write(fullRecord());
    await writer.close();
    const { stat } = await import('node:fs/promises');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('rejects writes after close, unserialisable records, and an unopenable path', async () => {
    const writer = createReportWriter({ path: join(dir, 'closed.jsonl') });
    await writer.close();
    await writer.close(); // idempotent
    await expect(writer.write(fullRecord())).rejects.toThrow(/closed/);

    const other = createReportWriter({ path: join(dir, 'bigint.jsonl') });
    const bad = fullRecord() as unknown as Record<string, unknown>;
    bad['test_runtime'] = 1n;
    await expect(other.write(bad as unknown as ReportRecord)).rejects.toThrow(TypeError);
    await other.write(fullRecord()); // the writer still works
    await other.close();
    expect(await wholeLines(join(dir, 'bigint.jsonl'))).toHaveLength(1);

    const nowhere = createReportWriter({ path: join(dir, 'no', 'such', 'dir.jsonl') });
    await expect(nowhere.write(fullRecord())).rejects.toMatchObject({ name: 'ReportWriteError', failure: { kind: 'io', code: 'ENOENT' } });
    await expect(nowhere.close()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('createReportWriter interrupted by SIGINT in a child process', () => {
  /** Lines the write loop has written when it says `ready` (and goes on writing). */
  const READY_AFTER_LINES = 20;

  /** Runs the write loop, sends SIGINT once it has written READY_AFTER_LINES lines and is still writing, resolves with the exit status. */
  async function runAndInterrupt(path: string, mode: 'graceful' | 'abrupt'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITE_LOOP, path, mode, String(READY_AFTER_LINES)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      void exited.then(() => reject(new Error(`child exited before writing: ${stderr}`)));
    });
    child.kill('SIGINT');
    return exited;
  }

  /** Every line of the file parses and validates; the reader reports no error. */
  async function expectOnlyWholeLines(path: string): Promise<number> {
    const errors: string[] = [];
    let records = 0;
    for await (const entry of readReport(path)) {
      if (entry.error !== undefined) errors.push(`${entry.line}: ${entry.error}`);
      else {
        records++;
        expect(validateRecord(entry.record)).toEqual({ ok: true });
      }
    }
    expect(errors).toEqual([]);
    await wholeLines(path);
    return records;
  }

  it('leaves only whole, parseable lines when the CLI-style SIGINT handler closes the writer (3 runs)', async () => {
    for (let run = 0; run < 3; run++) {
      const path = join(dir, `sigint-graceful-${run}.jsonl`);
      expect(await runAndInterrupt(path, 'graceful')).toEqual({ code: 0, signal: null });
      expect(await expectOnlyWholeLines(path)).toBeGreaterThanOrEqual(READY_AFTER_LINES);
    }
  }, 90_000);

  // Without a handler SIGINT is fatal, and Linux may stop the single in-flight write of a multi-page
  // line at a page boundary (generic_perform_write checks fatal_signal_pending per page). The damage
  // can only be an unterminated tail: every newline-terminated line is whole, readReport reports the
  // tail as torn, and the next writer opening the file isolates it on its own line.
  it('when SIGINT kills the process outright, every terminated line is whole and a torn tail is isolated (3 runs)', async () => {
    for (let run = 0; run < 3; run++) {
      const path = join(dir, `sigint-abrupt-${run}.jsonl`);
      const status = await runAndInterrupt(path, 'abrupt');
      expect(status.signal).toBe('SIGINT');
      const text = await readFile(path, 'utf8');
      const terminated = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').slice(0, -1);
      expect(terminated.length).toBeGreaterThanOrEqual(READY_AFTER_LINES);
      for (const l of terminated) expect(validateRecord(JSON.parse(l))).toEqual({ ok: true });

      const entries = [];
      for await (const entry of readReport(path)) entries.push(entry);
      const errors = entries.filter((e) => e.error !== undefined);
      const tornTail = !text.endsWith('\n');
      expect(errors).toEqual(tornTail ? [{ line: terminated.length + 1, error: 'torn last line (no trailing newline): the writer was interrupted mid-line' }] : []);

      const next = createReportWriter({ path });
      await next.write(fullRecord('https://example.org/after-crash'));
      await next.close();
      const reread = [];
      for await (const entry of readReport(path)) reread.push(entry);
      expect(reread.at(-1)?.record?.input).toBe('https://example.org/after-crash');
      expect(reread.filter((e) => e.record !== undefined)).toHaveLength(terminated.length + 1);
    }
  }, 90_000);
});

describe('createReportWriter to a stream', () => {
  it('writes whole lines in call order and leaves the stream open unless asked', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const writer = createReportWriter({ stream });
    expect(writer.path).toBeNull();
    await Promise.all([0, 1, 2, 3, 4].map((i) => writer.write(fullRecord(`https://example.org/${i}`))));
    await writer.close();
    expect(chunks).toHaveLength(5);
    expect(chunks.every((c) => c.endsWith('\n') && c.indexOf('\n') === c.length - 1)).toBe(true);
    expect(chunks.map((c) => (JSON.parse(c) as ReportRecord).input)).toEqual([0, 1, 2, 3, 4].map((i) => `https://example.org/${i}`));
    expect(stream.writableEnded).toBe(false);

    const owned = new PassThrough();
    owned.resume();
    const closing = createReportWriter({ stream: owned }, { endStream: true });
    await closing.write(fullRecord());
    await closing.close();
    expect(owned.writableEnded).toBe(true);
  });
});

describe('defaultReportPath', () => {
  it('names the file after the UTC start time in ISO-8601 basic format', () => {
    expect(defaultReportPath(new Date('2026-11-29T23:53:34.567Z'), '/var/reports')).toBe('/var/reports/censorprobe-20261129T235334Z.jsonl');
    expect(defaultReportPath(new Date(Date.UTC(2027, 0, 2, 3, 4, 5)), '.')).toBe('censorprobe-20270102T030405Z.jsonl');
  });
});
