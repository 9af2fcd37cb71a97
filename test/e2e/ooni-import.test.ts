/**
 * OONI import through the CLI as researchers run it: `analyze --from-ooni` on real measurements of
 * every vintage with the real OONI and Censored Planet fingerprint sets, a batch with broken files
 * that never stops, `npm run check:ooni` per test version; user regexps on a linear-time engine in
 * a lab run; the ASN data version on the lines that used it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRecord } from '../../src/report/schema.js';
import type { ReportRecord } from '../../src/model/index.js';
import { CLI, ROOT } from './cli-path.js';

let dir = '';
const REAL = path.join(ROOT, 'fixtures', 'ooni', 'real');
const FP = (f: string): string => path.join(ROOT, 'fixtures', 'fingerprints', f);
const REAL_SETS = ['ooni-fastpath-fingerprints_http.json', 'ooni-fastpath-fingerprints_dns.json', 'cp-real-blockpage_signatures.json', 'cp-real-false_positive_signatures.json'].flatMap((f) => ['--fingerprints', FP(f)]);

const cli = (args: string[], opts: { timeout?: number } = {}): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: opts.timeout ?? 120_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lines = (file: string): ReportRecord[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ReportRecord);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-ooni-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('censorprobe analyze --from-ooni on real measurements (2016-2025)', () => {
  it('converts every vintage, names the file it cannot import, explains each disagreement and confirms the blockpages', () => {
    const out = path.join(dir, 'real.jsonl');
    const r = cli(['analyze', '--from-ooni', REAL, '-o', out, ...REAL_SETS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2021-US-go-test-keys-none\.json: skipped \(the measurement has no test_keys\)/);
    const recs = lines(out);
    expect(recs).toHaveLength(20);
    for (const rec of recs) expect(validateRecord(rec), rec.input).toEqual({ ok: true });
    const vintages = new Set(recs.map((x) => x.ooni_source?.vintage));
    expect(vintages).toEqual(new Set(['python', 'mk', 'go', 'lte']));
    // Times are OONI's, never the time of the import.
    expect(recs.find((x) => x.input === 'http://torproject.org/')?.measurement_start_time).toBe('2016-05-23T11:10:46Z');
    const differing = recs.filter((x) => (x.ooni_source?.differences ?? []).length > 0);
    expect(differing.length).toBeLessThanOrEqual(4);
    for (const x of differing) for (const d of x.ooni_source?.differences ?? []) expect(d.why).toMatch(/^recorded by .+ \(web_connectivity \d/);
    const byInput = (u: string): ReportRecord | undefined => recs.find((x) => x.input === u);
    // Indonesia: a 302 to the Trustpositif blockpage host, read as the FIRST hop.
    expect(byInput('http://archive.org')?.verdict).toMatchObject({ blocking: 'http-diff', status: 'confirmed', fingerprints: ['ooni.id_lamanlabuh_kominfo'] });
    // Iran: 10.10.34.36.
    expect(byInput('https://www.facebook.com/')?.verdict).toMatchObject({ blocking: 'dns', status: 'confirmed', fingerprints: ['ooni.ir_10dot10_ipv4_1'] });
  });

  it('never stops at a bad file or record: bad JSON, {} control, null tcp_connect, a start time that is not a time', () => {
    const batch = path.join(dir, 'batch');
    mkdirSync(batch);
    const base = JSON.parse(readFileSync(path.join(REAL, '2016-DE-py-torproject.json'), 'utf8')) as Record<string, unknown>;
    const tk = base['test_keys'] as Record<string, unknown>;
    writeFileSync(path.join(batch, 'a-bad.json'), '{"test_name": "web_connectivity", ');
    writeFileSync(path.join(batch, 'b-empty-control.json'), JSON.stringify({ ...base, test_keys: { ...tk, control: {} } }));
    writeFileSync(path.join(batch, 'c-null-tcp.json'), JSON.stringify({ ...base, test_keys: { ...tk, tcp_connect: null, control: { ...(tk['control'] as object), tcp_connect: null } } }));
    writeFileSync(path.join(batch, 'd-bad-time.jsonl'), `${JSON.stringify({ ...base, measurement_start_time: 'yesterday' })}\n${JSON.stringify(base)}\n`);
    copyFileSync(path.join(REAL, '2025-ID-go04-trustpositif.json'), path.join(batch, 'e-id.json'));
    const out = path.join(dir, 'batch.jsonl');
    const r = cli(['analyze', '--from-ooni', batch, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/a-bad\.json: bad JSON/);
    expect(r.stdout).toMatch(/d-bad-time\.jsonl:1: skipped \(measurement_start_time "yesterday" is not a time/);
    const recs = lines(out);
    expect(recs).toHaveLength(4);
    const empty = recs[0];
    expect(empty?.control.response).toBeNull();
    expect(empty?.ooni.control_failure).toMatch(/^unknown_failure: /);
    expect(recs.every((x) => validateRecord(x).ok)).toBe(true);
  });
});

describe('npm run check:ooni -- DIR', () => {
  it('prints agreement per test version, lists unreadable files and goes on, explains each difference', () => {
    const r = spawnSync('npm', ['run', '--silent', 'check:ooni', '--', REAL, path.join(ROOT, 'fixtures', 'ooni', 'manual')], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    expect(r.status).toBe(1); // some measurements differ (explained), one file has no test_keys
    const m = /blocking\+accessible (\d+)\/(\d+)/.exec(r.stdout);
    expect(Number(m?.[2])).toBe(23);
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(19);
    for (const v of ['0.0.1 (mk)', '0.1.0 (python)', '0.3.2 (python)', '0.4.1 (go)', '0.5.28 (lte)']) expect(r.stdout).toContain(`  ${v}`);
    expect(r.stdout).toMatch(/Unreadable:\n.*2021-US-go-test-keys-none\.json: the measurement has no test_keys/);
    expect(r.stdout).toMatch(/accessible: OONI true, ours false: recorded by ooniprobe-android 2\.0\.3 \(web_connectivity 0\.0\.1/);
  });
});

describe('user fingerprint regexps run in linear time (lab)', () => {
  it('a nested-quantifier pattern neither hangs nor breaks a lab run; a pattern RE2 cannot run is refused with FILE:LINE', () => {
    const evil = path.join(dir, 'evil.jsonl');
    writeFileSync(evil, [
      '{"id":"evil.nested","kind":"blockpage","location":"body","pattern_type":"regexp","pattern":"^([\\\\s\\\\S]+)+\\\\x00"}',
      '{"id":"evil.a","kind":"blockpage","location":"body","pattern_type":"regexp","pattern":"^(a+)+$"}',
    ].join('\n'));
    // With a backtracking engine the first pattern needs about 2^188 steps on the 188-byte injected page.
    const r = cli(['lab', 'run', 'ownBlockpageInjectedByHost', '--json', '--', '--fingerprints', evil], { timeout: 240_000 });
    expect(r.code).toBe(0);
    const rec = JSON.parse(r.stdout.trim().split('\n')[0] ?? '{}') as ReportRecord;
    expect(rec.verdict).toMatchObject({ blocking: 'http-diff', status: 'confirmed' });
    const refused = path.join(dir, 'backref.jsonl');
    writeFileSync(refused, '{"id":"b","kind":"blockpage","location":"body","pattern_type":"regexp","pattern":"(a)\\\\1"}\n');
    const bad = cli(['analyze', '--from-ooni', path.join(REAL, '2016-DE-py-torproject.json'), '--fingerprints', refused, '--json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/backref\.jsonl:1: regexp refused: /);
  }, 300_000);

  it('records the pinned ASN data version on a line whose classification asked it, and only there', () => {
    const pinned = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['@ip-location-db/asn'];
    const asked = cli(['lab', 'run', 'dnsHijackingToProxyWithHTTPURL', '--json'], { timeout: 240_000 });
    expect(asked.code).toBe(0);
    expect((JSON.parse(asked.stdout.trim().split('\n')[0] ?? '{}') as ReportRecord).asn_db).toEqual({ name: '@ip-location-db/asn', version: pinned });
    const not = cli(['lab', 'run', 'successWithHTTP', '--json'], { timeout: 240_000 });
    expect((JSON.parse(not.stdout.trim().split('\n')[0] ?? '{}') as ReportRecord).asn_db).toBeUndefined();
  }, 300_000);
});
