import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/io.js';
import { validateRecord } from '../../../src/report/schema.js';

const ROOT = join(import.meta.dirname, '../../..');
const OLDER = join(ROOT, 'fixtures/reports/older-rules-report.jsonl');

async function cli(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => { stdout += c.toString(); });
  err.on('data', (c: Buffer) => { stderr += c.toString(); });
  const io: Io = { stdout: out, stderr: err, stdin: new PassThrough(), env: { NO_COLOR: '1' }, cwd, onSignal: () => () => undefined };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe('censorprobe analyze REPORT', () => {
  it('prints the anomalies and a per-verdict summary of the stored verdicts', async () => {
    const r = await cli(['analyze', 'fixtures/reports/older-rules-report.jsonl']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fixtures/reports/older-rules-report.jsonl:1 blockpage / HTTP diff http://www.cloudflare-cache.com/');
    expect(r.stdout).toMatch(/6 measurements in 1 report:\n {2}accessible +1\n {2}DNS tampering +1\n {2}HTTP failure +1\n {2}blockpage \/ HTTP diff +2\n {2}website down +1\nAnomalies: 4\n$/);
  });

  it('--reclassify lists every measurement whose verdict changed under the current rules', async () => {
    const r = await cli(['analyze', '--reclassify', '--fingerprints', 'fixtures/fingerprints/lab.jsonl', 'fixtures/reports/older-rules-report.jsonl']);
    expect(r.code).toBe(0);
    const changed = r.stdout.split('\n').filter((l) => l.includes(' changed '));
    expect(changed).toEqual([
      'fixtures/reports/older-rules-report.jsonl:1 changed http://www.cloudflare-cache.com/: http-diff (anomaly, accessible false) → no blocking (ok, accessible true)',
      'fixtures/reports/older-rules-report.jsonl:3 changed http://www.example.com/: http-diff (anomaly, accessible false) → http-diff (confirmed, accessible false)',
      'fixtures/reports/older-rules-report.jsonl:5 changed https://www.example.com/: http-failure (anomaly, accessible false) → tls (anomaly, accessible false)',
    ]);
    expect(r.stdout).toContain('fingerprint censorprobe.fp_cloudflare_challenge');
    expect(r.stdout).toContain('Changed by the current rules: 3 of 6');
  });

  it('--reclassify --json prints one JSON object a line, the summary last', async () => {
    const r = await cli(['analyze', '--reclassify', '--json', '--fingerprints', 'fixtures/fingerprints/lab.jsonl', OLDER]);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const changed = lines.filter((l) => l['kind'] === 'changed');
    expect(changed.map((l) => [l['input'], l['before'], l['after']])).toEqual([
      ['http://www.cloudflare-cache.com/', { blocking: 'http-diff', accessible: false, status: 'anomaly' }, { blocking: null, accessible: true, status: 'ok' }],
      ['http://www.example.com/', { blocking: 'http-diff', accessible: false, status: 'anomaly' }, { blocking: 'http-diff', accessible: false, status: 'confirmed' }],
      ['https://www.example.com/', { blocking: 'http-failure', accessible: false, status: 'anomaly' }, { blocking: 'tls', accessible: false, status: 'anomaly' }],
    ]);
    expect(changed[1]?.['fingerprints']).toEqual(['censorprobe.lab_access_denied']);
    expect(lines[lines.length - 1]).toEqual({
      kind: 'summary', measurements: 6, counts: { 'http-diff': 1, dns: 1, accessible: 2, tls: 1, down: 1 }, anomalies: 3, changed: 3, bad_lines: 0,
    });
  });

  it('reports bad lines of a report and goes on; an unreadable file is exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'censorprobe-analyze-'));
    const p = join(dir, 'r.jsonl');
    writeFileSync(p, `${readFileSync(OLDER, 'utf8').split('\n')[0]}\n{not json\n`);
    const r = await cli(['analyze', '--json', p], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"kind":"bad_line","where":"r.jsonl:2","error":"bad JSON');
    const missing = await cli(['analyze', join(dir, 'nope.jsonl')], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.jsonl: cannot read (ENOENT)');
  });

  it('--fingerprints adds a set, and a malformed file stops with FILE:LINE: reason and exit code 2', async () => {
    const bad = await cli(['analyze', '--reclassify', '--fingerprints', 'fixtures/fingerprints/bad-cp.jsonl', OLDER]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('fixtures/fingerprints/bad-cp.jsonl:3: missing string \'pattern\'');
    const dir = mkdtempSync(join(tmpdir(), 'censorprobe-fp-'));
    const fp = join(dir, 'ours.jsonl');
    // A strong blockpage fingerprint outweighs the curated false positive (Cloudflare challenge) on the
    // same response; one that matches a page equal to the control's is not evidence (docs/verdict-rules.md).
    writeFileSync(fp, '{"id":"test.default_page","kind":"blockpage","location":"body","pattern_type":"contains","pattern":"Just a moment"}\n');
    const r = await cli(['analyze', '--reclassify', '--json', '--fingerprints', fp, OLDER]);
    const changed = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['kind'] === 'changed');
    expect(changed.some((l) => (l['fingerprints'] as string[]).includes('test.default_page'))).toBe(true);
  });
});

describe('censorprobe analyze --from-ooni', () => {
  it('writes our report lines (schema-valid, OONI report id and time kept) and a summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'censorprobe-from-ooni-'));
    const out = join(dir, 'ours.jsonl');
    const r = await cli(['analyze', '--from-ooni', 'fixtures/ooni/generated', 'fixtures/ooni/manual', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('35 OONI measurements converted; OONI keys (blocking, accessible, dns_consistency) agree on 35/35.');
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(35);
    for (const l of lines) expect(validateRecord(l)).toEqual({ ok: true });
    expect(lines.map((l) => (l['ooni_source'] as { report_id: string }).report_id)).toContain('20231130T175544Z_webconnectivity_IT_30722_n1_axB7UYed9MURovXX');
  });

  it('writes JSONL to stdout with --json (summary on stderr) and skips other OONI tests with a note', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'censorprobe-from-ooni-'));
    const p = join(dir, 'mixed.jsonl');
    writeFileSync(p, `${JSON.stringify(JSON.parse(readFileSync(join(ROOT, 'fixtures/ooni/generated/successWithHTTP.json'), 'utf8')))}\n${JSON.stringify({ test_name: 'telegram', test_keys: {} })}\n`);
    const r = await cli(['analyze', '--from-ooni', '--json', p], dir);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ input: 'http://www.example.com/', verdict: { blocking: null, accessible: true, status: 'ok' } });
    expect(r.stderr).toContain('mixed.jsonl:2: skipped (expected test_name "web_connectivity", got "telegram")');
    expect(r.stderr).toContain('1 OONI measurement converted, 1 skipped');
  });

  it('refuses --output without --from-ooni and --reclassify with it', async () => {
    expect((await cli(['analyze', '-o', 'x.jsonl', OLDER])).code).toBe(2);
    expect((await cli(['analyze', '--from-ooni', '--reclassify', 'fixtures/ooni'])).code).toBe(2);
  });
});

describe('censorprobe run --fingerprints', () => {
  it('stops with FILE:LINE: reason and exit code 2 before measuring anything when a fingerprint file is malformed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'censorprobe-run-fp-'));
    const r = await cli(['run', '--no-doh-default', '--no-baselines', '-o', join(dir, 'out.jsonl'), '--fingerprints', join(ROOT, 'fixtures/fingerprints/bad-ooni.csv'), 'http://www.example.com/'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad-ooni.csv:3: \'location_found\' must be body, dns or header.<name>, got \'cookie\'');
    expect(r.stderr).toContain('bad-ooni.csv:4: ');
    expect(() => readFileSync(join(dir, 'out.jsonl'))).toThrow(/ENOENT/);
  });
});
