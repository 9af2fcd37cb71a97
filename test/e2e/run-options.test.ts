/**
 * `run` options from the command line, CENSORPROBE_* variables and a --config file, as the report
 * records them, and --rate-limit spacing the starts. The probe runs in an offline namespace.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './cli-path.js';
import { createOfflineNs, type OfflineNs } from './offline-ns.js';

let ns: OfflineNs;
let dir = '';
const run = (args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, CLI, 'run', '--yes', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lines = (file: string): Record<string, unknown>[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(() => {
  ns = createOfflineNs('opts');
  dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-opts-'));
});
afterAll(() => {
  ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('run options from a config file and CENSORPROBE_* variables', () => {
  it('config file < environment < command line, as recorded in the report options', () => {
    const config = path.join(dir, 'probe.json');
    writeFileSync(config, JSON.stringify({ 'dns-timeout': 300, 'connect-timeout': 1234, 'max-redirects': 3, baselines: false, 'doh-default': false }));
    const out = path.join(dir, 'a.jsonl');
    const r = run(['--config', config, '--max-redirects', '4', '-o', out, 'http://a.example/'], { CENSORPROBE_CONNECT_TIMEOUT: '2345' });
    expect(r.code).toBe(0);
    const [line] = lines(out);
    expect(line!['options']).toMatchObject({ dns_timeout_ms: 300, connect_timeout_ms: 2345, max_redirects: 4 });
    expect((line!['control'] as { source: string }).source).toBe('none');
    expect(line!['vantage']).toBeUndefined();
  });

  it('CENSORPROBE_CONFIG names the file; a list option takes a comma-separated variable', () => {
    const config = path.join(dir, 'env.json');
    writeFileSync(config, JSON.stringify({ 'dns-timeout': 333, 'no-baselines': true, 'no-doh-default': true }));
    const l1 = path.join(dir, 'l1.txt');
    const l2 = path.join(dir, 'l2.txt');
    writeFileSync(l1, 'http://one.example/\n');
    writeFileSync(l2, 'http://two.example/\n');
    const out = path.join(dir, 'b.jsonl');
    const r = run(['-o', out], { CENSORPROBE_CONFIG: config, CENSORPROBE_INPUT_FILE: `${l1},${l2}` });
    expect(r.code).toBe(0);
    const got = lines(out);
    expect(got.map((l) => l['input']).sort()).toEqual(['http://one.example/', 'http://two.example/']);
    expect(got[0]!['options']).toMatchObject({ dns_timeout_ms: 333 });
  });

  it.each([
    [['http://a.example/'], { CENSORPROBE_DNS_TIMEOUT: 'soon' }, /CENSORPROBE_DNS_TIMEOUT: --dns-timeout must be a whole number/],
    [['--config', '/nonexistent.json', 'http://a.example/'], {}, /--config \/nonexistent\.json: cannot read \(ENOENT\)/],
  ])('a bad value: one line naming its source, exit 2 (%j)', (args, env, message) => {
    const r = run(args, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('an unknown key in the config file: exit 2, named', () => {
    const config = path.join(dir, 'typo.json');
    writeFileSync(config, JSON.stringify({ 'dns-timout': 300 }));
    const r = run(['--config', config, 'http://a.example/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option "dns-timout"/);
  });
});

describe('--rate-limit', () => {
  it('starts at most N targets per second, whatever the concurrency', () => {
    const out = path.join(dir, 'rate.jsonl');
    const urls = Array.from({ length: 5 }, (_, i) => `http://r${i}.example/`);
    const r = run(['--rate-limit', '4', '-c', '16', '--no-baselines', '--no-doh-default', '--dns-timeout', '300', '-o', out, ...urls]);
    expect(r.code).toBe(0);
    const starts = lines(out).map((l) => Date.parse(l['measurement_start_time'] as string)).sort((a, b) => a - b);
    expect(starts).toHaveLength(5);
    // Slot i opens 250*i ms after the first; a loaded machine can only start a target later than its
    // slot (two late timers may fire together, so neighbours are not compared). The first start may
    // itself be recorded late: 100 ms of margin for that. The exact spacing is test/unit/cli/rate-limit.test.ts.
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[0]!).toBeGreaterThanOrEqual(250 * i - 100);
  });
});
