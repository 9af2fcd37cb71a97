/**
 * The DuckDB views of sql/duckdb-views.sql (docs/analysis-sql.md) over JSONL reports, through
 * DuckDB's Node package (an optional dependency): the verdict counts equal `censorprobe analyze`'s.
 * When @duckdb/node-api cannot load on this machine, the test is skipped and says why.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './cli-path.js';

type Duck = typeof import('@duckdb/node-api');
let duck: Duck | null = null;
let why = '';
try {
  duck = await import('@duckdb/node-api');
} catch (e) {
  why = e instanceof Error ? e.message : String(e);
  console.warn(`duckdb.test.ts skipped: the optional dependency @duckdb/node-api cannot load here (${why}); npm install @duckdb/node-api to run it`);
}

let dir = '';
let report = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-duck-'));
  report = path.join(dir, 'ooni.jsonl');
  const r = spawnSync(process.execPath, [CLI, 'analyze', '--from-ooni', path.join(ROOT, 'fixtures', 'ooni', 'generated'), '-o', report], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(duck === null)('DuckDB views over JSONL reports (@duckdb/node-api)', () => {
  it('verdict_counts answers the verdict-count query with the counts censorprobe analyze gives', async () => {
    const instance = await duck!.DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    const files = [report, path.join(ROOT, 'fixtures', 'reports', 'older-rules-report.jsonl')];
    await c.run(`SET VARIABLE censorprobe_reports = [${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}]`);
    await c.run(readFileSync(path.join(ROOT, 'sql', 'duckdb-views.sql'), 'utf8'));
    const rows = (await c.runAndReadAll('SELECT label, measurements FROM verdict_counts')).getRowObjectsJson() as { label: string; measurements: string }[];
    const sql = Object.fromEntries(rows.map((r) => [r.label, Number(r.measurements)]));

    const a = spawnSync(process.execPath, [CLI, 'analyze', '--format', 'json', '--by', 'verdict', ...files], { encoding: 'utf8' });
    expect(a.status).toBe(0);
    const cli = Object.fromEntries((JSON.parse(a.stdout) as { key: string; measurements: number }[]).map((r) => [r.key, r.measurements]));
    expect(sql).toEqual(cli);
    expect(Object.values(sql).reduce((x, y) => x + y, 0)).toBe(38);

    const domains = (await c.runAndReadAll("SELECT sum(measurements)::INTEGER AS n FROM domain_label_counts WHERE domain = 'www.example.com'")).getRowObjectsJson() as { n: number }[];
    expect(domains[0]!.n).toBeGreaterThan(0);
    c.closeSync();
  });
});
