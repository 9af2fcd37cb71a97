/**
 * What a volunteer meets: the first-run question (asked on a terminal, remembered in the config
 * directory; never waited for without a terminal; --yes for scripts), the progress bar on a
 * terminal and the periodic progress line otherwise, no escape codes when not on a terminal, and
 * --dry-run. The probe runs in an offline namespace (nothing leaves the machine); a terminal is a
 * pseudo-terminal from util-linux `script`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './cli-path.js';
import { createOfflineNs, type OfflineNs } from './offline-ns.js';

let ns: OfflineNs;
let dir = '';
// The CLI with the environment a volunteer has: no CENSORPROBE_YES (vitest sets it for every other test), no NO_COLOR.
const { CENSORPROBE_YES: _yes, NO_COLOR: _nc, ...baseEnv } = process.env;
const ESC = '\u001b';

function runIn(args: string[], env: NodeJS.ProcessEnv, input = ''): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, CLI, ...args], { encoding: 'utf8', input, env: { ...baseEnv, TERM: 'xterm-256color', ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI on a pseudo-terminal (`script -qec`), typing `input`; returns the terminal's output and the exit code. */
function runOnTty(args: string[], env: NodeJS.ProcessEnv, input: string): { code: number | null; out: string } {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('ip', ['netns', 'exec', ns.name, 'script', '-qec', quoted, '/dev/null'], { encoding: 'utf8', input, env: { ...baseEnv, TERM: 'xterm-256color', ...env }, timeout: 60_000 });
  return { code: r.status, out: r.stdout };
}

// Targets whose DNS queries go to a resolver that drops them: each takes the whole --dns-timeout.
const slow = ['--no-doh-default', '--no-baselines', '--resolver', 'udp://127.0.0.2', '--dns-timeout', '1500', '-c', '1', 'http://a.example/', 'http://b.example/', 'http://c.example/'];
const fast = ['--no-doh-default', '--no-baselines', '--dns-timeout', '300', 'http://a.example/', 'http://b.example/'];

beforeAll(() => {
  ns = createOfflineNs('vol', { blackholeDns: true });
  dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-vol-'));
});
afterAll(() => {
  ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('first-run consent', () => {
  it('without a terminal: explains on stderr, says how to silence it (--yes), measures, records no consent', () => {
    const home = mkdtempSync(path.join(dir, 'home-'));
    const out = path.join(home, 'r.jsonl');
    const r = runIn(['run', ...fast, '-o', out], { HOME: home, XDG_CONFIG_HOME: '' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/What others can see/);
    expect(r.stderr).toMatch(/--yes/);
    expect(r.stderr).toContain(path.join(home, '.config', 'censorprobe', 'consent.json'));
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(existsSync(path.join(home, '.config', 'censorprobe', 'consent.json'))).toBe(false);
  });

  it('a report file that would be refused is refused before the notice (one line, exit 2)', () => {
    const home = mkdtempSync(path.join(dir, 'home-'));
    const existing = path.join(home, 'old.jsonl');
    writeFileSync(existing, '{"old": true}\n');
    for (const out of [home, existing]) {
      const r = runIn(['run', ...fast, '-o', out], { HOME: home, XDG_CONFIG_HOME: '' });
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/What others can see/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('--yes measures without asking and records nothing', () => {
    const home = mkdtempSync(path.join(dir, 'home-'));
    const r = runIn(['run', ...fast, '--yes', '-o', path.join(home, 'r.jsonl')], { HOME: home });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(home, 'r.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(existsSync(path.join(home, '.config', 'censorprobe'))).toBe(false);
  });

  it('on a terminal: "n" measures nothing and records nothing', () => {
    const cfg = mkdtempSync(path.join(dir, 'xdg-'));
    const r = runOnTty(['run', ...fast, '-o', path.join(cfg, 'r.jsonl')], { XDG_CONFIG_HOME: cfg }, 'n\n');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/\[y\/N\]/);
    expect(existsSync(path.join(cfg, 'censorprobe', 'consent.json'))).toBe(false);
    expect(existsSync(path.join(cfg, 'r.jsonl'))).toBe(false);
  });

  it('on a terminal: "y" is remembered in $XDG_CONFIG_HOME/censorprobe; later runs, even without a terminal, do not ask', () => {
    const cfg = mkdtempSync(path.join(dir, 'xdg-'));
    const r = runOnTty(['run', ...fast, '-o', path.join(cfg, 'r.jsonl')], { XDG_CONFIG_HOME: cfg }, 'y\n');
    expect(r.code).toBe(0);
    const consent = JSON.parse(readFileSync(path.join(cfg, 'censorprobe', 'consent.json'), 'utf8')) as { version: number; accepted_at: string };
    expect(consent.version).toBe(1);
    expect(Number.isNaN(Date.parse(consent.accepted_at))).toBe(false);
    // The bar: count, rate and ETA.
    expect(r.out).toMatch(/2\/2 \| [\d.]+ targets\/s \| ETA \S+/);
    const again = runIn(['run', ...fast, '-o', path.join(cfg, 'r2.jsonl')], { XDG_CONFIG_HOME: cfg });
    expect(again.code).toBe(0);
    expect(readFileSync(path.join(cfg, 'r2.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});

describe('progress without a terminal', () => {
  it('-q: only a periodic progress line on stderr (count, rate, ETA) and the summary; no escape codes', () => {
    const out = path.join(dir, 'q.jsonl');
    const r = runIn(['run', ...slow, '--yes', '-q', '--progress-interval', '100', '-o', out], {});
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('progress: '));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^progress: \d\/3 \(\d+%\), [\d.]+ targets\/s, ETA \S+$/);
    expect(r.stdout).not.toMatch(/\[\d\/3\]/);
    expect(r.stdout + r.stderr).not.toContain(ESC);
  });

  it('per-target lines and the summary carry no escape codes when stdout and stderr are not terminals (TERM set, NO_COLOR unset)', () => {
    const r = runIn(['run', ...fast, '--yes', '-o', path.join(dir, 'plain.jsonl')], { FORCE_COLOR: '3' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[1\/2\]/);
    expect(r.stdout + r.stderr).not.toContain(ESC);
  });
});

describe('run --dry-run', () => {
  it('prints the normalised, de-duplicated targets (URL, category, source) and measures nothing', () => {
    const list = path.join(dir, 'dry.txt');
    writeFileSync(list, 'HTTPS://Example.COM\nhttps://example.com/\nhttp://例え.jp/x#frag\n');
    const r = runIn(['run', '--dry-run', '-i', list, '-o', path.join(dir, 'dry.jsonl')], {});
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([`https://example.com/\t-\t${list}:1`, `http://xn--r8jz45g.jp/x\t-\t${list}:3`]);
    expect(existsSync(path.join(dir, 'dry.jsonl'))).toBe(false);
  });

  it.each([
    ['citizenlab-2015.csv', [['http://www.example.com/', 'NEWS'], ['https://signal.org/', 'COMT']]],
    ['url-category.csv', [['https://www.torproject.org/', 'ANON'], ['https://www.hrw.org/', 'HUMR']]],
  ])('reads the Citizen Lab CSV %s (header with a url column) with its categories', (file, expected) => {
    const r = runIn(['run', '--dry-run', '-i', path.join(ROOT, 'fixtures', 'targets', file)], {});
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.split('\t').slice(0, 2))).toEqual(expected);
  });

  it('--skip-invalid with nothing valid left says so without suggesting --skip-invalid; without it, suggests it', () => {
    const list = path.join(dir, 'allbad.txt');
    writeFileSync(list, 'ftp://x/\nexample.com\n');
    const skip = runIn(['run', '--dry-run', '--skip-invalid', '-i', list], {});
    expect(skip.code).toBe(2);
    expect(skip.stderr).toContain(`${list}:1: `);
    expect(skip.stderr).not.toContain('pass --skip-invalid');
    const plain = runIn(['run', '--dry-run', '-i', list], {});
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('--skip-invalid');
  });

  it('shards: 1/3, 2/3 and 3/3 cover the list exactly once', () => {
    const list = path.join(dir, 'shard.txt');
    const urls = Array.from({ length: 10 }, (_, i) => `https://s${i}.example/`);
    writeFileSync(list, `${urls.join('\n')}\n`);
    const seen = [1, 2, 3].flatMap((i) => runIn(['run', '--dry-run', '-i', list, '--shard', `${i}/3`], {}).stdout.trim().split('\n').map((l) => l.split('\t')[0]));
    expect([...seen].sort()).toEqual([...urls].sort());
  });

  it('--shard auto: a Kubernetes Indexed Job\'s JOB_COMPLETION_INDEX 0..2 of JOB_COMPLETIONS 3 covers the list exactly once', () => {
    const list = path.join(dir, 'auto.txt');
    const urls = Array.from({ length: 11 }, (_, i) => `https://k${i}.example/`);
    writeFileSync(list, `${urls.join('\n')}\n`);
    const seen = [0, 1, 2].flatMap((i) => {
      const r = runIn(['run', '--dry-run', '-i', list, '--shard', 'auto'], { JOB_COMPLETION_INDEX: String(i), JOB_COMPLETIONS: '3' });
      expect(r.code).toBe(0);
      return r.stdout.trim().split('\n').map((l) => l.split('\t')[0]);
    });
    expect(seen).toHaveLength(11);
    expect([...seen].sort()).toEqual([...urls].sort());
    const missing = runIn(['run', '--dry-run', '-i', list, '--shard', 'auto'], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/JOB_COMPLETION_INDEX/);
  });
});
