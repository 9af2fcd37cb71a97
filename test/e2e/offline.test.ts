/**
 * The default run on a machine with no network at all: inside a fresh, empty network namespace
 * (only loopback, up), `censorprobe run` with no arguments must end quickly with a valid report
 * and an honest summary: every verdict inconclusive, none blocked, and the run says the local network
 * is offline (every baseline check failed).
 * Nothing can leave the namespace: it has no interface but loopback.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VANTAGE_SENTENCE } from '../../src/outage/index.js';
import { validateRecord } from '../../src/report/schema.js';
import { CLI } from './cli-path.js';

const ns = `cpoff-${process.pid}`;
let dir = '';

beforeAll(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-offline-'));
});
afterAll(() => {
  spawnSync('ip', ['netns', 'del', ns]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('censorprobe run on an offline machine', () => {
  it('with no arguments: measures the default list within 60 s, writes a valid report, blames nothing', () => {
    const started = Date.now();
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, CLI, 'run'], { cwd: dir, encoding: 'utf8', timeout: 90_000, env: { ...process.env, NO_COLOR: '1' } });
    const elapsed = Date.now() - started;
    expect(r.status, r.stderr).toBe(0);
    expect(elapsed).toBeLessThan(60_000);
    const reports = readdirSync(dir).filter((f) => /^censorprobe-\d{8}T\d{6}Z\.jsonl$/.test(f));
    expect(reports).toHaveLength(1);
    const lines = readFileSync(path.join(dir, reports[0] as string), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(25);
    for (const line of lines) {
      const rec = JSON.parse(line);
      expect(validateRecord(rec)).toEqual({ ok: true });
      expect(rec.verdict.blocking).toBeNull();
      expect(rec.verdict.status).toBe('inconclusive');
      expect(rec.ooni.blocking === null || rec.ooni.blocking === false).toBe(true);
      // Outage detection (issue 5): every baseline check failed before the run.
      expect(rec.vantage?.state).toBe('local_offline');
      expect(rec.vantage?.round.results.every((x: { ok: boolean }) => !x.ok)).toBe(true);
      expect(rec.verdict.reasons[0]).toMatch(/^local network offline: every baseline check failed/);
    }
    // One plain sentence for the state, never "OK" next to it, and no "normal" round anywhere.
    expect(r.stdout).toContain(`Network: ${VANTAGE_SENTENCE.local_offline}`);
    expect(r.stdout).not.toMatch(/\bOK\b|normal/);
    expect(r.stdout).toMatch(/Every verdict is inconclusive/);
    expect(r.stdout).toMatch(new RegExp(`Report: .*${reports[0]}`));
  });
});
