/**
 * The CLI as users meet it: help with examples, target lists (plain, Citizen Lab CSV, stdin), bad
 * input with FILE:LINE errors and exit code 2, --json, and interruption leaving whole lines. The
 * probe runs in an offline namespace, so measurements end fast and nothing leaves the machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRecord } from '../../src/report/schema.js';
import { CLI, ROOT } from './cli-path.js';
import { createOfflineNs, type OfflineNs } from './offline-ns.js';

let ns: OfflineNs;
let dir = '';
const fixture = (f: string): string => path.join(ROOT, 'fixtures', 'targets', f);
const cli = (args: string[], input = ''): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const fast = ['--no-doh-default', '--dns-timeout', '500', '-c', '32', '--json', '-q'];

beforeAll(() => {
  ns = createOfflineNs('cli', { blackholeDns: true });
  dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-cli-'));
});
afterAll(() => {
  ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('censorprobe --help', () => {
  it('shows the commands and examples', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/run \[options\]/);
    expect(r.stdout).toMatch(/helper/);
    expect(r.stdout).toMatch(/Examples:/);
  });
  for (const cmd of ['run', 'helper']) {
    it(`${cmd} --help shows examples`, () => {
      const r = cli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples:\n\s+\$ censorprobe/);
    });
  }
  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(cli(['--version']).stdout.trim()).toBe(pkg.version);
  });
});

describe('bad arguments and input', () => {
  it('a list with bad lines: every bad line as FILE:LINE: reason, exit 2, nothing measured', () => {
    const r = cli(['run', '-i', fixture('mixed.txt'), '-o', path.join(dir, 'never.jsonl')]);
    expect(r.code).toBe(2);
    const bad = r.stderr.split('\n').filter((l) => l.startsWith(fixture('mixed.txt') + ':'));
    expect(bad.length).toBe(3);
    for (const l of bad) expect(l).toMatch(/^.+:\d+: .+/);
    expect(() => readFileSync(path.join(dir, 'never.jsonl'))).toThrow();
  });
  it('a CSV whose header names no url column: one line naming the file and its columns, exit 2, nothing measured (with --skip-invalid too)', () => {
    const csv = path.join(dir, 'names.csv');
    writeFileSync(csv, 'name,category_code\nhttps://a.example/,NEWS\nhttps://b.example/,HUMR\n');
    for (const extra of [[], ['--skip-invalid']]) {
      const r = cli(['run', '-i', csv, '-o', path.join(dir, 'names.jsonl'), ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`${csv}: a CSV header without a url column (columns: name, category_code)`);
      expect(r.stderr).not.toMatch(/missing scheme/);
      expect(() => readFileSync(path.join(dir, 'names.jsonl'))).toThrow();
    }
    const dry = cli(['run', '--dry-run', '-i', csv]);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toBe('');
  });
  it('a missing input file: one line naming it, exit 2', () => {
    const r = cli(['run', '-i', '/nonexistent/list.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/nonexistent\/list\.txt: cannot read \(ENOENT\)/);
  });
  it.each([
    [['run', '-c', 'many'], /--concurrency must be a whole number/],
    [['run', '--resolver', 'dns://1.2.3.4'], /is not 'system', 'udp:\/\/IP\[:PORT\]'/],
    [['run', '--control', 'ftp://x'], /--control 'ftp:\/\/x' must be http/],
    [['run', '--shard', '5/4'], /I must be between 1 and N/],
    [['run', '--resume'], /--resume needs --output FILE/],
    [['run', '--ca-file', '/nonexistent.pem', 'https://example.org/'], /--ca-file \/nonexistent\.pem: cannot read/],
    [['helper', '--listen', 'nowhere'], /is not ADDR:PORT/],
    [['run', '--doh', 'http://dns.example/', 'https://example.org/'], /--doh 'http:\/\/dns\.example\/' must be an https:\/\/ URL/],
    [['run', '--json', '-o', 'x.jsonl', 'https://example.org/'], /use either --json or -o FILE/],
    [['run', '-o', '/nonexistent/dir/x.jsonl', 'https://example.org/'], /-o \/nonexistent\/dir\/x\.jsonl: cannot write \(ENOENT\)/],
    [['run', '-o', '/tmp', 'https://example.org/'], /-o \/tmp: is a directory/],
    [['run', '-o', '', 'https://example.org/'], /-o needs a file name, got an empty one/],
    [['report', 'x.jsonl', '-o', ' '], /-o needs a file name, got an empty one/],
    [['analyze', '-o', '', 'x.jsonl'], /-o needs a file name, got an empty one/],
    [['run', '-o=x.jsonl', 'https://example.org/'], /-o got '=x\.jsonl': write -o FILE or --output=FILE/],
  ])('%j fails with a clear one-line error and exit 2', (args, message) => {
    const r = cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });
});

describe('inputs and outputs checked before measuring', () => {
  it('an existing report is not appended to without --resume', () => {
    const out = path.join(dir, 'existing.jsonl');
    writeFileSync(out, '{"old": true}\n');
    const r = cli(['run', '-o', out, 'https://example.org/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the file exists; add --resume to continue that report, or choose another file/);
    expect(readFileSync(out, 'utf8')).toBe('{"old": true}\n');
  });
  it('lab run, analyze --from-ooni and control refuse an existing report too, before doing anything, without suggesting a --resume they do not have', () => {
    const out = path.join(dir, 'existing2.jsonl');
    writeFileSync(out, '{"old": true}\n');
    for (const args of [['lab', 'run', 'successWithHTTP', '-o', out], ['analyze', '--from-ooni', path.join(ROOT, 'fixtures/ooni/generated'), '-o', out], ['control', '-o', out, 'https://example.org/']]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toEqual([`censorprobe: -o ${out}: the file exists; remove it or choose another file`]);
      expect(r.stdout).not.toMatch(/building the world/);
    }
    expect(readFileSync(out, 'utf8')).toBe('{"old": true}\n');
  });
  it('--resume refuses to append to a file that is not a report', () => {
    const notReport = path.join(dir, 'notes.txt');
    writeFileSync(notReport, 'my notes\n');
    const r = cli(['run', '--resume', '-o', notReport, 'https://example.org/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a censorprobe report/);
    expect(readFileSync(notReport, 'utf8')).toBe('my notes\n');
  });
  it('two runs started in the same second get two default report files', () => {
    const d = mkdtempSync(path.join(dir, 'same-second-'));
    const a = ns.spawn(['run', '-q', '--no-doh-default', '--no-baselines', 'https://a.example.org/'], { cwd: d });
    const b = ns.spawn(['run', '-q', '--no-doh-default', '--no-baselines', 'https://b.example.org/'], { cwd: d });
    return Promise.all([a, b].map((c) => new Promise<number | null>((resolve) => c.on('exit', resolve)))).then((codes) => {
      expect(codes).toEqual([0, 0]);
      expect(readdirSync(d).filter((f) => f.endsWith('.jsonl'))).toHaveLength(2);
    });
  });
  it('a report stream closed early (--json | head) is not a success', () => {
    const bash = spawnSync('bash', ['-c', `set -o pipefail; ip netns exec ${ns.name} ${process.execPath} ${CLI} run -i - --json -q --no-doh-default --no-baselines -c 1 | head -c 10 >/dev/null`], { encoding: 'utf8', input: Array.from({ length: 300 }, (_, i) => `https://s${i}.example.org/`).join('\n') }); // 300 lines (~500 KB) overflow the 64 KiB pipe buffer even when head starts late
    expect(bash.status).toBe(4); // EXIT.REPORT_WRITE
    expect(bash.stderr).toMatch(/standard output was closed: the report is incomplete/);
  });
  it('an empty list is an error, not an empty run', () => {
    const empty = path.join(dir, 'empty.txt');
    writeFileSync(empty, '# nothing here\n\n');
    const r = cli(['run', '-i', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no targets in .*empty\.txt: nothing to measure/);
    expect(cli(['run', '-i', '-'], '').stderr).toMatch(/no targets in stdin/);
  });
});

describe('target lists, measured offline', () => {
  it('a Citizen Lab CSV with 100 rows gives 100 valid lines with their categories', () => {
    const r = ns.run(['run', '-i', fixture('citizenlab-100.csv'), ...fast]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(100);
    for (const rec of lines) {
      expect(validateRecord(rec)).toEqual({ ok: true });
      expect(rec.category_code).toMatch(/^[A-Z]+$/);
    }
  });
  it('stdin (-i -) is read as a list', () => {
    const r = ns.run(['run', '-i', '-', ...fast], { input: '# two targets\nhttps://www.example.org/\nHTTP://WWW.EXAMPLE.COM\n' });
    expect(r.code, r.stderr).toBe(0);
    const inputs = r.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { input: string }).input).sort();
    expect(inputs).toEqual(['http://www.example.com/', 'https://www.example.org/']);
  });
});

describe('interruption', () => {
  it('SIGINT leaves only whole lines, exits 130, and --resume measures the rest', async () => {
    const out = path.join(dir, 'interrupted.jsonl');
    const urls = Array.from({ length: 24 }, (_, i) => `https://site${i}.example.org/`);
    const args = ['run', '--resolver', 'udp://127.0.0.2', '--dns-timeout', '1500', '--no-doh-default', '-c', '4', '-o', out, ...urls];
    const child = ns.spawn(args);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    // Interrupt as soon as the fourth line is written: every worker then measures its next target
    // (each takes the 1.5 s DNS timeout), so the interruption lands in the middle of the next batch.
    await new Promise<void>((resolve) => {
      let stdout = '';
      child.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/\[\s*4\/24\]/.test(stdout)) resolve();
      });
      child.on('exit', () => resolve()); // ended early: the exit code below says how
    });
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines.length).toBeLessThan(24);
    for (const l of lines) expect(validateRecord(JSON.parse(l))).toEqual({ ok: true });

    const again = ns.run([...args, '--resume'], { timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`${lines.length} already in the report, skipped`));
    const all = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { input: string }).input);
    expect(new Set(all).size).toBe(24);
    expect(all).toHaveLength(24);
  });
});
