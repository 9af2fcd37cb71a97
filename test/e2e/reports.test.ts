/**
 * Reports, exit codes and console safety through the built CLI, in an offline namespace (loopback
 * only; nothing leaves it): a full disk (a small tmpfs in a private mount namespace) and
 * `--json > /dev/full` stop the run with exit 4 and only whole lines; `-o /proc/version` is refused;
 * `--resume` cuts a torn tail; the report lock refuses a second writer; a report removed or replaced
 * during the run is an error; SIGHUP/SIGTERM give 129/143; a page title and a helper's error
 * carrying terminal escapes never reach the terminal raw; a helper answering Go-style nulls never
 * costs a line; `analyze` names bad lines (FILE:LINE) and goes on.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRecord } from '../../src/report/schema.js';
import { EXIT, EXIT_CODES_BY_COMMAND } from '../../src/cli/exit-codes.js';
import { CLI, ROOT } from './cli-path.js';
import { createOfflineNs, type OfflineNs } from './offline-ns.js';

let ns: OfflineNs;
let dir = '';
let servers: ChildProcess | undefined;
const PAGE = '45.33.10.1'; // a public-looking address on the namespace's loopback (bogons are never dialled); it exists only inside the test's namespace
const RAW_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const quick = ['--no-doh-default', '--no-baselines', '--dns-timeout', '300'];
// Targets that take ~1.5 s each: DNS over UDP to a blackholed resolver.
const slow = (n: number, tag: string): string[] => ['--resolver', 'udp://127.0.0.2', '--dns-timeout', '1500', '--no-doh-default', '--no-baselines', '-c', '1',
  ...Array.from({ length: n }, (_, i) => `https://${tag}${i}.example.org/`)];

function lines(file: string): Record<string, unknown>[] {
  const text = readFileSync(file, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function waitFor(child: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (re.test(seen)) resolve();
    });
  });
}

const exitOf = (child: ChildProcess): Promise<number | null> => new Promise((resolve) => child.on('exit', (c) => resolve(c)));

beforeAll(async () => {
  ns = createOfflineNs('rep', { blackholeDns: true });
  execFileSync('ip', ['-n', ns.name, 'addr', 'add', `${PAGE}/32`, 'dev', 'lo']);
  dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-reports-'));
  servers = spawn('ip', ['netns', 'exec', ns.name, process.execPath, path.join(ROOT, 'test/e2e/hostile-servers.mjs'), '80', '8082', '8083', '8085', PAGE], { stdio: ['ignore', 'pipe', 'inherit'] });
  await waitFor(servers, /ready/);
});
afterAll(() => {
  servers?.kill();
  ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('write errors', () => {
  it('a full disk stops the run with exit 4 and one line; the report keeps only whole lines', () => {
    const mnt = path.join(dir, 'full');
    mkdirSync(mnt);
    const copy = path.join(dir, 'full-copy.jsonl');
    const urls = Array.from({ length: 40 }, (_, i) => `https://s${i}.example.org/`).join(' ');
    // A private mount namespace: the 12 KiB tmpfs is gone when the shell ends; the report is copied out first.
    const script = `mount -t tmpfs -o size=12k tmpfs ${mnt} && ${process.execPath} ${CLI} run -o ${mnt}/r.jsonl -q -c 2 ${quick.join(' ')} ${urls}; echo "rc=$?"; cp ${mnt}/r.jsonl ${copy}`;
    const r = spawnSync('ip', ['netns', 'exec', ns.name, 'unshare', '-m', 'sh', '-c', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stdout).toMatch(new RegExp(`rc=${EXIT.REPORT_WRITE}\\b`));
    const errors = r.stderr.trim().split('\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/ENOSPC/);
    const kept = lines(copy);
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThan(40);
    for (const rec of kept) expect(validateRecord(rec)).toEqual({ ok: true });
  });

  it('run --json > /dev/full: exit 4, one line, no stack trace', () => {
    const r = spawnSync('sh', ['-c', `ip netns exec ${ns.name} ${process.execPath} ${CLI} run --json -q ${quick.join(' ')} https://a.example.org/ >/dev/full`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(EXIT.REPORT_WRITE);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/ENOSPC/);
  });

  it('-o /proc/version is refused before measuring (the append check really writes)', () => {
    const r = ns.run(['run', '-o', '/proc/version', ...quick, 'https://a.example.org/']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(/\/proc\/version: cannot write \(EIO\)/);
  });
});

describe('resume and locking', () => {
  it('--resume cuts a torn last line, says so, and measures that target again', () => {
    const out = path.join(dir, 'torn.jsonl');
    expect(ns.run(['run', '-o', out, '-q', ...quick, 'https://a.example.org/', 'https://b.example.org/']).code).toBe(0);
    appendFileSync(out, '{"schema_version":"1.2.0","software_name":"censorprobe","inp');
    const r = ns.run(['run', '-o', out, '--resume', ...quick, 'https://a.example.org/', 'https://b.example.org/', 'https://c.example.org/']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cut off a torn last line \(\d+ bytes/);
    const recs = lines(out);
    expect(recs.map((x) => x['input']).sort()).toEqual(['https://a.example.org/', 'https://b.example.org/', 'https://c.example.org/']);
  });

  it('--resume keeps a whole last measurement that only lost its newline, says so, and does not measure it again', () => {
    const out = path.join(dir, 'nonl.jsonl');
    expect(ns.run(['run', '-o', out, '-q', ...quick, 'https://a.example.org/']).code).toBe(0);
    writeFileSync(out, readFileSync(out, 'utf8').replace(/\n$/, ''));
    const r = ns.run(['run', '-o', out, '--resume', ...quick, 'https://a.example.org/', 'https://b.example.org/']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/nonl\.jsonl: the last line had no newline but is a whole measurement: kept, newline added\./);
    expect(lines(out).map((x) => x['input'])).toEqual(['https://a.example.org/', 'https://b.example.org/']);
  });

  it('--dry-run --resume lists only what the run would measure, and changes nothing', () => {
    const out = path.join(dir, 'dry.jsonl');
    expect(ns.run(['run', '-o', out, '-q', ...quick, 'https://a.example.org/']).code).toBe(0);
    const before = readFileSync(out, 'utf8');
    const r = ns.run(['run', '-o', out, '--resume', '--dry-run', 'https://a.example.org/', 'https://b.example.org/']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.split('\t')[0])).toEqual(['https://b.example.org/']);
    expect(r.stderr).toMatch(/1 target would be measured \(1 already in the report\)/);
    expect(readFileSync(out, 'utf8')).toBe(before);
    expect(existsSync(`${out}.lock`)).toBe(false);
    const notReport = path.join(dir, 'notes.txt');
    writeFileSync(notReport, 'my notes\n');
    const refused = ns.run(['run', '-o', notReport, '--resume', '--dry-run', 'https://a.example.org/']);
    expect(refused.code).toBe(EXIT.USAGE);
    expect(refused.stderr).toMatch(/not a censorprobe report/);
  });

  it('--resume names a line in the middle that is not a measurement, keeps it, and goes on', () => {
    const out = path.join(dir, 'garbage.jsonl');
    expect(ns.run(['run', '-o', out, '-q', ...quick, 'https://a.example.org/']).code).toBe(0);
    appendFileSync(out, 'not json at all\n');
    expect(ns.run(['run', '-o', out, '--resume', '-q', ...quick, 'https://a.example.org/', 'https://b.example.org/']).code).toBe(0);
    const r = ns.run(['run', '-o', out, '--resume', ...quick, 'https://a.example.org/', 'https://b.example.org/', 'https://c.example.org/']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/garbage\.jsonl: line 2 is not a measurement \(bad JSON.*\): left as is and not counted as measured\./);
    const text = readFileSync(out, 'utf8').split('\n');
    expect(text[1]).toBe('not json at all');
    expect(text.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)['input'])).toEqual(['https://a.example.org/', 'https://b.example.org/', 'https://c.example.org/']);
  });

  it('a live lock refuses a second writer (exit 5, report untouched); a stale lock is taken over', () => {
    const out = path.join(dir, 'locked.jsonl');
    expect(ns.run(['run', '-o', out, '-q', ...quick, 'https://a.example.org/']).code).toBe(0);
    const before = readFileSync(out, 'utf8');
    writeFileSync(`${out}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), started: 'now' }));
    const r = ns.run(['run', '-o', out, '--resume', ...quick, 'https://a.example.org/', 'https://b.example.org/']);
    expect(r.code).toBe(EXIT.REPORT_LOCKED);
    expect(r.stderr).toMatch(new RegExp(`pid ${process.pid}`));
    expect(readFileSync(out, 'utf8')).toBe(before);
    // A lock whose process is gone (a child that already exited) is stale.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(`${out}.lock`, JSON.stringify({ pid: Number(dead), host: hostname(), started: 'then' }));
    const again = ns.run(['run', '-o', out, '--resume', ...quick, 'https://a.example.org/', 'https://b.example.org/']);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(`${out}.lock`)).toBe(false);
    expect(lines(out).map((x) => x['input'])).toEqual(['https://a.example.org/', 'https://b.example.org/']);
  });

  it('two --resume runs on one report: the second is refused, no input is measured twice', async () => {
    const out = path.join(dir, 'twice.jsonl');
    const args = ['run', '-o', out, '--resume', ...slow(4, 'twice')];
    const first = ns.spawn(args);
    await waitFor(first, /Measuring 4 targets/);
    const second = ns.spawn(args);
    const codes = await Promise.all([exitOf(first), exitOf(second)]);
    expect(codes).toEqual([EXIT.OK, EXIT.REPORT_LOCKED]);
    const inputs = lines(out).map((x) => x['input']);
    expect(new Set(inputs).size).toBe(inputs.length);
    expect(inputs).toHaveLength(4);
  });
});

describe('report removed or replaced during the run', () => {
  it('a removed report is an error (exit 4), not a silent success', async () => {
    const out = path.join(dir, 'removed.jsonl');
    const child = ns.spawn(['run', '-o', out, ...slow(6, 'rm')]);
    await waitFor(child, /\[1\/6\]/);
    unlinkSync(out);
    expect(await exitOf(child)).toBe(EXIT.REPORT_WRITE);
  });

  it('a replaced report is an error (exit 4); the new file is not written to', async () => {
    const out = path.join(dir, 'replaced.jsonl');
    const other = path.join(dir, 'other.jsonl');
    const child = ns.spawn(['run', '-o', out, ...slow(6, 'mv')]);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await waitFor(child, /\[1\/6\]/);
    writeFileSync(other, 'not ours\n');
    renameSync(other, out);
    expect(await exitOf(child)).toBe(EXIT.REPORT_WRITE);
    expect(stderr).toMatch(/replaced/);
    expect(readFileSync(out, 'utf8')).toBe('not ours\n');
  });
});

describe('signals', () => {
  for (const [sig, code] of [['SIGTERM', EXIT.SIGTERM], ['SIGHUP', EXIT.SIGHUP]] as const) {
    it(`${sig} stops the run with exit ${code} and whole lines`, async () => {
      const out = path.join(dir, `${sig}.jsonl`);
      const child = ns.spawn(['run', '-o', out, ...slow(8, sig.toLowerCase())]);
      await waitFor(child, /\[1\/8\]/);
      child.kill(sig);
      expect(await exitOf(child)).toBe(code);
      for (const rec of lines(out)) expect(validateRecord(rec)).toEqual({ ok: true });
    });
  }
});

describe('untrusted text never reaches the terminal raw', () => {
  it('run: a page title with escapes and bidi overrides is shown escaped; the report keeps it exactly', () => {
    const out = path.join(dir, 'title.jsonl');
    const r = ns.run(['run', '--no-baselines', '--control', 'http://127.0.0.1:8085/', '-o', out, `http://${PAGE}/`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW_UNSAFE);
    expect(r.stdout).toContain('\\x1b]0;PWNED\\x07');
    expect(r.stdout).toContain('\\u202e');
    const text = readFileSync(out, 'utf8');
    expect(text).not.toMatch(RAW_UNSAFE); // C1 and bidi escaped as \uXXXX in the JSON
    const rec = lines(out)[0] as { observations: { requests: { response: { title?: string } }[] } };
    expect(rec.observations.requests[0]?.response.title).toContain('\u202eevil\u009b31m');
  });

  it('run: a helper error with escapes is shown escaped', () => {
    const r = ns.run(['run', '--no-baselines', '--control', 'http://127.0.0.1:8082/', '-o', path.join(dir, 'helper-err.jsonl'), `http://${PAGE}/`]);
    expect(r.stdout + r.stderr).not.toMatch(RAW_UNSAFE);
  });

  it('bad arguments, list lines and file names with escapes are shown escaped (exit 2)', () => {
    const list = path.join(dir, 'evil\u001b[2J.txt');
    writeFileSync(list, 'ftp://a\u001b]0;PWNED\u0007.example/\nnot a url \u202e\n');
    for (const args of [['run', '--bogus\u001b]0;x\u0007'], ['run', '-i', list], ['analyze', path.join(dir, 'missing\u009b2J.jsonl')], ['lab', 'run', '\u001b[2Jnope']]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
      expect(r.status).toBe(EXIT.USAGE);
      expect(r.stderr).not.toMatch(RAW_UNSAFE);
      expect(r.stderr).toMatch(/\\x1b|\\x9b|\\u202e/);
    }
  });

  it('analyze and analyze --json of that report: no raw control or bidi character', () => {
    const out = path.join(dir, 'title.jsonl');
    for (const extra of [[], ['--json'], ['--reclassify']]) {
      const r = spawnSync(process.execPath, [CLI, 'analyze', ...extra, out], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(RAW_UNSAFE);
    }
  });
});

describe('one target, one line', () => {
  it('a helper answering Go-style nulls never costs a line', () => {
    const out = path.join(dir, 'nulls.jsonl');
    const r = ns.run(['run', '--no-baselines', '--continue-without-control', '--control', 'http://127.0.0.1:8083/', '-o', out, `http://${PAGE}/`, 'http://198.51.100.9/']);
    expect([EXIT.OK, EXIT.INTERNAL]).toContain(r.code);
    const recs = lines(out);
    expect(recs.map((x) => x['input']).sort()).toEqual([`http://${PAGE}/`, 'http://198.51.100.9/'].sort());
    for (const rec of recs) expect(validateRecord(rec)).toEqual({ ok: true });
  });
});

describe('analyze goes on past bad records', () => {
  it('a line with tcp_connect: null and a bad JSON line are FILE:LINE: reason; the rest is analysed', () => {
    const good = readFileSync(path.join(ROOT, 'fixtures/reports/older-rules-report.jsonl'), 'utf8').split('\n').filter(Boolean);
    const nullish = JSON.parse(good[0] as string) as { observations: Record<string, unknown> };
    nullish.observations['tcp_connect'] = null;
    const file = path.join(dir, 'mixed.jsonl');
    writeFileSync(file, `${good[1]}\n${JSON.stringify(nullish)}\n{oops\n${good[2]}\n`);
    const r = spawnSync(process.execPath, [CLI, 'analyze', '--reclassify', '--json', 'mixed.jsonl'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(EXIT.OK);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const bad = out.filter((l) => l['kind'] === 'bad_line');
    expect(bad.map((b) => b['where'])).toEqual(['mixed.jsonl:2', 'mixed.jsonl:3']);
    expect(String(bad[0]?.['error'])).toMatch(/\/observations\/tcp_connect/);
    expect(out.at(-1)).toMatchObject({ kind: 'summary', measurements: 2, bad_lines: 2 });
    const text = spawnSync(process.execPath, [CLI, 'analyze', '--reclassify', 'mixed.jsonl', 'missing.jsonl'], { cwd: dir, encoding: 'utf8' });
    expect(text.status).toBe(EXIT.USAGE); // a missing file is named; the other file is still analysed
    expect(text.stderr).toMatch(/^mixed\.jsonl:2: not a valid report line/m);
    expect(text.stderr).toMatch(/missing\.jsonl: cannot read \(ENOENT\)/);
    expect(text.stdout).toMatch(/2 measurements in 2 reports/);
  });
});

describe('analyze --from-ooni goes on past a measurement it cannot convert', () => {
  it('a measurement with "control": {} is converted with a control failure (an empty control is no control); the next one too', () => {
    const m = JSON.parse(readFileSync(path.join(ROOT, 'fixtures/ooni/generated/websiteDownNXDOMAIN.json'), 'utf8')) as { test_keys: Record<string, unknown> };
    const bad = structuredClone(m);
    bad.test_keys['control'] = {};
    writeFileSync(path.join(dir, 'ooni-mixed.jsonl'), `${JSON.stringify(bad)}\n{"not": "a measurement"}\n${JSON.stringify(m)}\n`);
    const r = spawnSync(process.execPath, [CLI, 'analyze', '--from-ooni', '--json', 'ooni-mixed.jsonl'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(EXIT.OK);
    expect(r.stderr).toMatch(/^ooni-mixed\.jsonl:2: /m);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { control: { failure: string | null } });
    expect(out).toHaveLength(2);
    expect(out[0]?.control.failure).not.toBeNull();
    for (const o of out) expect(validateRecord(o)).toEqual({ ok: true });
  });
});

describe('the exit-code table', () => {
  it('every command help renders it, and the top-level help lists every code', () => {
    const top = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout;
    for (const code of Object.values(EXIT)) expect(top).toMatch(new RegExp(`^ +${code}  \\S`, 'm'));
    for (const [cmd, codes] of Object.entries(EXIT_CODES_BY_COMMAND)) {
      const help = spawnSync(process.execPath, [CLI, cmd, '--help'], { encoding: 'utf8' }).stdout;
      expect(help, cmd).toMatch(cmd === 'helper' ? /Exit codes:\n +0  the helper stopped/ : /Exit codes:\n +0  done/);
      const listed = [...help.slice(help.indexOf('Exit codes:')).matchAll(/^ +(\d+)  \S/gm)].map((m) => Number(m[1]));
      expect(listed, cmd).toEqual(codes);
    }
  });
});
