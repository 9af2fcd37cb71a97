import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOoniAgreement, formatAgreement } from '../../../src/ooni/agreement.js';
import { importOoniMeasurement, parseOoniTime } from '../../../src/ooni/import.js';
import { findOoniFiles, readOoniFile } from '../../../src/ooni/read.js';
import { compareWithRecorded, ooniToRecord } from '../../../src/ooni/to-record.js';
import { validateRecord } from '../../../src/report/schema.js';
import { analyzeOoni } from '../../../src/classify/index.js';

const root = join(import.meta.dirname, '../../../fixtures/ooni');
const gen = (name: string): string => join(root, 'generated', `${name}.json`);
const raw = (name: string): Record<string, unknown> => JSON.parse(readFileSync(gen(name), 'utf8')) as Record<string, unknown>;

async function collect(path: string): Promise<{ where: string; ok: boolean; error?: string }[]> {
  const out: { where: string; ok: boolean; error?: string }[] = [];
  for await (const e of readOoniFile(path)) out.push({ where: e.where, ok: e.measurement !== undefined, ...(e.error ? { error: e.error } : {}) });
  return out;
}

describe('reading OONI measurement files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'censorprobe-ooni-'));
  const a = raw('successWithHTTP');
  const b = raw('dnsBlockingNXDOMAIN');

  it('reads a pretty-printed JSON object as one measurement', async () => {
    expect(await collect(gen('successWithHTTP'))).toEqual([{ where: gen('successWithHTTP'), ok: true }]);
  });

  it('reads JSONL line by line, reporting a bad line with FILE:LINE and going on', async () => {
    const p = join(dir, 'two.jsonl');
    writeFileSync(p, `${JSON.stringify(a)}\n\n{oops\n${JSON.stringify(b)}\n`);
    const got = await collect(p);
    expect(got.map((g) => [g.where, g.ok])).toEqual([[`${p}:1`, true], [`${p}:3`, false], [`${p}:4`, true]]);
    expect(got[1]?.error).toMatch(/^bad JSON \(/);
  });

  it('detects JSONL in a .json file and reads a JSON array', async () => {
    const lines = join(dir, 'lines.json');
    writeFileSync(lines, `${JSON.stringify(a)}\n${JSON.stringify(b)}\n`);
    expect((await collect(lines)).map((g) => g.where)).toEqual([`${lines}:1`, `${lines}:2`]);
    const array = join(dir, 'array.json');
    writeFileSync(array, JSON.stringify([a, b], null, 2));
    expect((await collect(array)).map((g) => g.where)).toEqual([`${array}[0]`, `${array}[1]`]);
  });

  it('finds *.json and *.jsonl files recursively, sorted', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'b', 'c'), { recursive: true });
    writeFileSync(join(tree, 'b', 'c', 'measurement.json'), '{}');
    writeFileSync(join(tree, 'a.jsonl'), '');
    writeFileSync(join(tree, 'notes.txt'), '');
    expect(await findOoniFiles(tree)).toEqual([join(tree, 'a.jsonl'), join(tree, 'b', 'c', 'measurement.json')]);
    await expect(findOoniFiles(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});

describe('OONI measurements as our report lines', () => {
  it('converts every fixture into a line that validates against the published schema, keeping report id and time', async () => {
    const files = [...await findOoniFiles(join(root, 'generated')), ...await findOoniFiles(join(root, 'manual'))];
    expect(files.length).toBe(35);
    for (const f of files) {
      const m = importOoniMeasurement(JSON.parse(readFileSync(f, 'utf8')));
      const record = ooniToRecord(m, { softwareVersion: '0.1.0', runId: 'r' });
      expect(validateRecord(JSON.parse(JSON.stringify(record))), f).toEqual({ ok: true });
      expect(compareWithRecorded(m.recorded, record.ooni), f).toEqual([]);
    }
    const yt = importOoniMeasurement(JSON.parse(readFileSync(join(root, 'manual/youtube/measurement.json'), 'utf8')));
    const record = ooniToRecord(yt, { softwareVersion: '0.1.0', runId: 'r' });
    expect(record.measurement_start_time).toBe('2023-11-30T17:55:44Z');
    expect(record.test_start_time).toBe('2023-11-30T17:55:43Z');
    expect(record.ooni_source).toMatchObject({
      report_id: '20231130T175544Z_webconnectivity_IT_30722_n1_axB7UYed9MURovXX',
      measurement_start_time: '2023-11-30 17:55:44', probe_asn: 'AS30722', probe_cc: 'IT', test_version: '0.5.26',
      recorded: { blocking: false, accessible: true },
    });
  });

  it('converts OONI times to ISO-8601; anything else is no time (never "now")', () => {
    expect(parseOoniTime('2024-02-12 20:33:47')).toBe('2024-02-12T20:33:47Z');
    expect(parseOoniTime('2024-02-12T20:33:47Z')).toBe('2024-02-12T20:33:47Z');
    expect(parseOoniTime(null)).toBeNull();
    expect(parseOoniTime('yesterday')).toBeNull();
    expect(parseOoniTime('2024-02-31 10:00:00')).toBeNull();
    expect(parseOoniTime('2024-13-01 10:00:00')).toBeNull();
    const bad = raw('successWithHTTP');
    bad['measurement_start_time'] = 'not a time';
    expect(() => importOoniMeasurement(bad)).toThrow(/measurement_start_time "not a time" is not a time/);
  });

  it('normalises the nulls Go writes for empty control request lists', () => {
    const m = importOoniMeasurement(raw('websiteDownNXDOMAIN'));
    expect(m.control.request?.tcp_connect).toEqual([]);
  });
});

describe('agreement with OONI (npm run check:ooni)', () => {
  it('is 35/35 on blocking, accessible and dns_consistency for the generated and manual fixtures', async () => {
    const s = await checkOoniAgreement([join(root, 'generated'), join(root, 'manual')]);
    expect(s).toMatchObject({ total: 35, agree: { blocking: 35, accessible: 35, dns_consistency: 35 }, allAgree: 35, cases: [], skipped: 0, errors: 0 });
    expect(s.byVersion['0.5.28']).toMatchObject({ vintage: 'lte', total: 33, blockingAccessible: 33 });
  });

  it('lists a measurement whose recorded keys differ, and skips other tests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'censorprobe-agree-'));
    const tampered = raw('successWithHTTP');
    (tampered['test_keys'] as Record<string, unknown>)['blocking'] = 'dns';
    writeFileSync(join(dir, 'x.jsonl'), `${JSON.stringify(tampered)}\n${JSON.stringify({ test_name: 'telegram', test_keys: {} })}\n`);
    const s = await checkOoniAgreement([dir]);
    expect(s).toMatchObject({ total: 1, agree: { blocking: 0, accessible: 1, dns_consistency: 1 }, allAgree: 0, skipped: 1 });
    expect(s.cases[0]).toMatchObject({ where: `${join(dir, 'x.jsonl')}:1`, input: 'http://www.example.com/', differences: [{ key: 'blocking', recorded: 'dns', ours: false }] });
    expect(formatAgreement(s)).toContain(`${join(dir, 'x.jsonl')}:1 (http://www.example.com/, 0.5.28)`);
  });

  it('keeps 35/35 when the IP-to-ASN database answers after the recorded ASNs', async () => {
    const { sharedAsnDatabase } = await import('../../../src/runner/asn-db.js');
    const s = await checkOoniAgreement([join(root, 'generated'), join(root, 'manual')], { asnLookup: sharedAsnDatabase().lookup });
    expect(s.allAgree).toBe(35);
    expect(analyzeOoni(importOoniMeasurement(raw('dnsHijackingToProxyWithHTTPURL')), { asnLookup: sharedAsnDatabase().lookup }).dns_consistency).toBe('inconsistent');
  });
});
