/**
 * The CI commands through the CLI: `check` re-classifies recorded measurements (our reports and
 * OONI measurements) offline and fails with a readable diff when a verdict differs from the
 * expectation; `diff` lists the targets whose verdict changed. Offline commands: no namespace needed.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseCsv } from 'csv-parse/sync';
import { CLI, ROOT } from './cli-path.js';
import { closedPipe } from './closed-pipe.js';

let dir = '';
const cli = (args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const REPORT = 'fixtures/reports/older-rules-report.jsonl';
const OONI = 'fixtures/ooni/generated';

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-ci-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('censorprobe check', () => {
  it('passes (exit 0) when every re-classified verdict meets the expectation, from our report and OONI files', () => {
    const expected = path.join(dir, 'expected.json');
    const w = cli(['check', REPORT, OONI, '--write-expected', expected]);
    expect(w.code).toBe(0);
    const written = JSON.parse(readFileSync(expected, 'utf8')) as Record<string, string | string[]>;
    expect(Object.keys(written).length).toBeGreaterThan(10);
    const r = cli(['check', REPORT, OONI, '--expect', expected, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    expect(summary).toMatchObject({ kind: 'summary', ok: true, differs: 0, missing: 0, measurements: 38 });
  });

  it('fails (exit 6) with a diff naming the target, the expectation and the verdict when one changes; a missing target fails too', () => {
    const expected = path.join(dir, 'changed.json');
    cli(['check', REPORT, '--write-expected', expected]);
    const e = JSON.parse(readFileSync(expected, 'utf8')) as Record<string, unknown>;
    const was = e['http://www.example.xyz/'];
    expect(was).toBe('down');
    e['http://www.example.xyz/'] = 'dns';
    e['https://not-measured.example/'] = { status: 'ok' };
    writeFileSync(expected, JSON.stringify(e));
    const r = cli(['check', REPORT, '--expect', expected, '--json']);
    expect(r.code).toBe(6);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l['kind'] === 'differs')).toEqual([
      expect.objectContaining({ input: 'http://www.example.xyz/', expected: { label: 'dns' }, got: expect.objectContaining({ label: 'down', status: 'down' }) }),
    ]);
    expect(lines.filter((l) => l['kind'] === 'missing')).toEqual([expect.objectContaining({ input: 'https://not-measured.example/', expected: { status: 'ok' } })]);
    const human = cli(['check', REPORT, '--expect', expected]);
    expect(human.code).toBe(6);
    expect(human.stdout).toMatch(/^DIFFERS http:\/\/www\.example\.xyz\/ +\(fixtures\/reports\/older-rules-report\.jsonl:\d+\)\n {2}expected: dns\n {2}got: +down/m);
  });

  it('bad expectations and unreadable input: one line, exit 2', () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ 'https://x.example/': 'blocked-ish' }));
    const r = cli(['check', REPORT, '--expect', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown verdict label 'blocked-ish'/);
    expect(cli(['check', '/nonexistent.jsonl', '--expect', bad]).code).toBe(2);
  });
});

describe('censorprobe diff', () => {
  it('lists the targets whose stored verdict changed (old → new) and those in one file only', () => {
    const newer = path.join(dir, 'newer.jsonl');
    const lines = readFileSync(path.join(ROOT, REPORT), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { input: string; verdict: Record<string, unknown> });
    const xyz = lines.find((l) => l.input === 'http://www.example.xyz/')!;
    xyz.verdict = { ...xyz.verdict, blocking: 'dns', status: 'anomaly', accessible: false };
    writeFileSync(newer, `${lines.filter((l) => l.input !== 'http://www.cloudflare-cache.com/').map((l) => JSON.stringify(l)).join('\n')}\n`);
    const r = cli(['diff', '--json', '--exit-code', REPORT, newer]);
    expect(r.code).toBe(6);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.filter((l) => l['kind'] === 'changed')).toEqual([expect.objectContaining({ input: 'http://www.example.xyz/', old: 'down', new: 'dns' })]);
    expect(out.filter((l) => l['kind'] === 'only_old')).toEqual([expect.objectContaining({ input: 'http://www.cloudflare-cache.com/' })]);
    expect(cli(['diff', REPORT, REPORT]).stdout).toMatch(/^diff: 0 changed/m);
    expect(cli(['diff', '--exit-code', REPORT, REPORT]).code).toBe(0);
  });
});

describe('censorprobe analyze --format', () => {
  const tricky = (): string => {
    const file = path.join(dir, 'tricky.jsonl');
    const lines = readFileSync(path.join(ROOT, REPORT), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    lines[0]!['category_code'] = 'NEWS|"x",\ny<b>';
    lines[1]!['category_code'] = 'HUMR';
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    return file;
  };

  it('json: counts by verdict, category, domain and asn that add up to the measurements', () => {
    const r = cli(['analyze', '--format', 'json', REPORT]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { dimension: string; key: string; measurements: number; counts: Record<string, number> }[];
    for (const d of ['verdict', 'category', 'domain', 'asn']) {
      const rs = rows.filter((x) => x.dimension === d);
      expect(rs.reduce((n, x) => n + x.measurements, 0)).toBe(6);
      for (const x of rs) expect(Object.values(x.counts).reduce((a, b) => a + b, 0)).toBe(x.measurements);
    }
    expect(rows.find((x) => x.dimension === 'domain' && x.key === 'www.example.com')?.measurements).toBe(4);
    expect(rows.find((x) => x.dimension === 'verdict' && x.key === 'http-diff')?.counts).toEqual({ 'http-diff': 2 });
  });

  it('csv: one RFC 4180 document (a category with quotes and commas stays one field; a control character is shown escaped)', () => {
    const r = cli(['analyze', '--format', 'csv', '--by', 'category', tricky()]);
    expect(r.code).toBe(0);
    const rows = parseCsv(r.stdout) as string[][];
    expect(rows[0]!.slice(0, 3)).toEqual(['dimension', 'key', 'measurements']);
    expect(rows.slice(1).map((x) => [x[0], x[1], x[2]])).toEqual([['category', '(none)', '4'], ['category', 'HUMR', '1'], ['category', 'NEWS|"x",\\x0ay<b>', '1']]);
  });

  it('md and table: one section per grouping; markup and pipes in keys escaped', () => {
    const md = cli(['analyze', '--format', 'md', '--by', 'verdict,category', tricky()]);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^### By verdict\n\n\| verdict \| measurements \|/m);
    expect(md.stdout).toContain('| NEWS\\|"x",\\\\x0ay&lt;b&gt; | 1 |'); // the shown escape's backslash is escaped for Markdown too
    const table = cli(['analyze', '--format', 'table', '--by', 'domain', REPORT]);
    expect(table.stdout.split('\n')[0]).toMatch(/^domain +measurements/);
    expect(table.stdout).toMatch(/^www\.example\.com +4 /m);
  });

  it('a bad format or grouping: one line, exit 2', () => {
    expect(cli(['analyze', '--format', 'xml', REPORT]).code).toBe(2);
    const r = cli(['analyze', '--format', 'csv', '--by', 'country', REPORT]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--by: unknown dimension 'country'/);
  });
});

describe('untrusted text from reports reaches the terminal escaped as analyze shows it (\\x1b, \\x9b), never raw nor as ?', () => {
  const RAW_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
  /** A report named with ESC and a C1 CSI whose first line has an unparsable input and a reason carrying both, and a bad line. */
  const evil = (verdictLabel: 'http-diff' | 'dns'): string => {
    const file = path.join(dir, `evil\u001b[31m\u009b31m-${verdictLabel}.jsonl`);
    const lines = readFileSync(path.join(ROOT, REPORT), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { input: string; verdict: Record<string, unknown> });
    const first = lines[0]!;
    first.input = 'http://x\u001b[31m\u009b31m.example/';
    first.verdict = { ...first.verdict, blocking: verdictLabel, layers: [verdictLabel], reasons: ['the reason \u001b[31m\u009b31m'] };
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"bad":\n`);
    return file;
  };
  const shown = (s: string): void => {
    expect(s).not.toMatch(RAW_UNSAFE);
    expect(s).not.toContain('?[31m');
    expect(s).toContain('\\x1b[31m\\x9b31m');
  };

  it('diff: the CHANGED line (input and reason), bad lines and file names', () => {
    const r = cli(['diff', evil('http-diff'), evil('dns')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^CHANGED {2}http:\/\/x\\x1b\[31m\\x9b31m\.example\/: http-diff → dns$/m);
    expect(r.stdout).toMatch(/^ {9}the reason \\x1b\[31m\\x9b31m$/m);
    shown(r.stdout);
    shown(r.stderr);
    const json = cli(['diff', '--json', evil('http-diff'), evil('dns')]);
    expect(json.stdout).not.toMatch(RAW_UNSAFE); // JSON escapes C0; C1 and bidi as \uXXXX
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ kind: 'changed', reason: 'the reason \u001b[31m\u009b31m' }));
  });

  it('check: the DIFFERS lines (file names) and bad lines', () => {
    const file = evil('dns');
    const expected = path.join(dir, 'evil-expected.json');
    writeFileSync(expected, JSON.stringify({ 'http://www.example.xyz/': 'accessible' }));
    const r = cli(['check', file, '--expect', expected]);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stdout).toMatch(/^DIFFERS http:\/\/www\.example\.xyz\/ +\(.*evil\\x1b\[31m\\x9b31m-dns\.jsonl:\d+\)$/m);
    shown(r.stdout);
    shown(r.stderr);
  });

  it('report: the bad lines and the page written', () => {
    const page = path.join(dir, 'evil\u001b[31m\u009b31m.html');
    const r = cli(['report', evil('dns'), '-o', page]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/-dns\.jsonl:7: /);
    expect(r.stderr).toMatch(/^6 measurements: .*evil\\x1b\[31m\\x9b31m\.html$/m);
    shown(r.stderr);
  });
});

describe('one-line errors and CI pitfalls', () => {
  it('check --expect with bad JSON: one line, exit 2 (the file\'s own newlines are not printed)', () => {
    const bad = path.join(dir, 'bad-json.json');
    writeFileSync(bad, '{\n  "https://a.example/": "dns",\n  oops\n}\n');
    const r = cli(['check', REPORT, '--expect', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^censorprobe: --expect .*bad-json\.json: bad JSON \(.+\)\n$/);
  });

  it('run --config with bad JSON: one line too', () => {
    const bad = path.join(dir, 'bad-config.json');
    writeFileSync(bad, '{\n  "dns-timeout": 500,\n  oops\n}\n');
    const r = cli(['run', '--dry-run', '--config', bad, 'https://a.example/']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad-config\.json: bad JSON \(/);
  });

  it('a file name with a newline stays on one line', () => {
    const r = cli(['check', REPORT, '--expect', path.join(dir, 'no\nsuch.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^censorprobe: --expect .*no\\x0asuch\.json: cannot read \(ENOENT\)\n$/);
  });

  it('check --expect {} is refused: it would pass whatever was measured', () => {
    const empty = path.join(dir, 'empty.json');
    writeFileSync(empty, '{}\n');
    const r = cli(['check', REPORT, '--expect', empty]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`censorprobe: --expect ${empty}: no expectation in it\n`);
  });

  it('report refuses an existing page (exit 2, one line, file untouched) unless -o -', () => {
    const page = path.join(dir, 'existing.html');
    writeFileSync(page, 'mine\n');
    const r = cli(['report', REPORT, '-o', page]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`censorprobe: -o ${page}: the file exists; remove it or choose another file (-o - writes to standard output)\n`);
    expect(readFileSync(page, 'utf8')).toBe('mine\n');
    const out = cli(['report', REPORT, '-o', '-']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^<!DOCTYPE html>/i);
    const fresh = path.join(dir, 'fresh.html');
    expect(cli(['report', REPORT, '-o', fresh]).code).toBe(0);
    expect(cli(['report', REPORT, '-o', fresh]).code).toBe(2); // the second time, it exists
  });
});

describe('a closed or full standard output where it carries data: exit 4', () => {
  const withStdout = (fd: number, args: string[]): { code: number | null; stderr: string } => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000 });
    closeSync(fd);
    return { code: r.status, stderr: r.stderr };
  };

  it('diff --json | head -1 (the reader gone): exit 4, one line', () => {
    const r = withStdout(closedPipe(dir), ['diff', '--json', REPORT, REPORT]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('censorprobe: standard output was closed: the output is incomplete\n');
  });

  it('report -o - > /dev/full: exit 4, one line', () => {
    const r = withStdout(openSync('/dev/full', 'w'), ['report', REPORT, '-o', '-']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('censorprobe: cannot write to standard output (ENOSPC): the output is incomplete\n');
  });
});
