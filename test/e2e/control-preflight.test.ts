/**
 * Control health is not network health (docs/network-state.md): a `--control` helper that cannot
 * be reached is reported before anything is measured, with exit code 3 and no report, unless the
 * user passes --continue-without-control. Runs in an empty network namespace (nothing leaves it).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CONTROL_UNREACHABLE } from '../../src/cli/preflight.js';
import { createOfflineNs, type OfflineNs } from './offline-ns.js';

let ns: OfflineNs;
let dir = '';
beforeAll(() => {
  ns = createOfflineNs('pre');
  dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-preflight-'));
});
afterAll(() => {
  ns?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the control preflight', () => {
  it('stops before measuring when the helper cannot be reached', () => {
    const out = path.join(dir, 'stopped.jsonl');
    const r = ns.run(['run', '--control', 'http://127.0.0.1:9/', '--no-baselines', '-o', out, 'https://a.example.org/']);
    expect(r.code, r.stderr).toBe(EXIT_CONTROL_UNREACHABLE);
    expect(r.stderr).toContain('http://127.0.0.1:9/');
    expect(r.stderr).toContain('connection_refused');
    expect(existsSync(out)).toBe(false);
  });
  it('goes on with --continue-without-control, each line saying the control failed', () => {
    const out = path.join(dir, 'went-on.jsonl');
    const r = ns.run(['run', '--control', 'http://127.0.0.1:9/', '--continue-without-control', '--no-baselines', '-o', out, 'https://a.example.org/']);
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(readFileSync(out, 'utf8').trim());
    expect(rec.control.source).toBe('helper');
    expect(rec.control.failure).toBe('connection_refused');
    expect(rec.verdict.blocking).toBeNull();
  });
});
