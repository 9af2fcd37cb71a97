/**
 * `censorprobe lab` through the built CLI, as users run it: list, run (as root, and as the
 * unprivileged `nobody` through a user namespace), exec, a bad name, SIGTERM stopping the lab, and
 * the one-line message when neither root nor user namespaces are available. The lab itself needs
 * root here (the suite runs as root); nothing leaves the lab's namespaces.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideLabAccess, listLabNamespaces, listScenarios, SCENARIOS_DIR, USERNS_SETUP } from '../../src/lab/index.js';
import { validateRecord } from '../../src/report/schema.js';
import { CLI } from '../e2e/cli-path.js';

function cli(args: string[], opts: { cwd?: string; asNobody?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const argv = [process.execPath, CLI, ...args];
  const cmd = opts.asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'env', ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`), ...argv] : argv;
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: opts.cwd ?? tmpdir(), encoding: 'utf8', timeout: 60_000, env: opts.asNobody ? process.env : { ...process.env, ...opts.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** True once a `censorprobe run` process runs in the probe namespace of the lab whose names contain `tag`. */
function probeRunning(tag: string): boolean {
  const ns = listLabNamespaces().find((n) => n.startsWith('cpp-') && n.includes(tag));
  if (ns === undefined) return false;
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter((p) => p !== '');
  return pids.some((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('run');
    } catch {
      return false; // gone meanwhile
    }
  });
}

function worldDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cp-labcli-'));
  spawnSync('chmod', ['777', d]);
  return d;
}

describe('censorprobe lab list', () => {
  it('lists every scenario with its origin and a one-line description', () => {
    const r = cli(['lab', 'list']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(listScenarios({ all: true }).length + 1);
    expect(r.stdout).toMatch(/^tlsBlockingConnectionResetWithConsistentDNS\s+catalog\s+The DPI box resets TLS handshakes whose SNI is www\.example\.com\.$/m);
    expect(r.stdout).toMatch(/^ownTlsResetOnSNI\s+ours\s+\S/m);
    expect(lines.at(-1)).toBe(`${listScenarios({ all: true }).length} scenarios. Run one: censorprobe lab run NAME`);
  });

  it('explains itself in --help with examples', () => {
    const r = cli(['lab', 'run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('censorprobe lab run tlsBlockingConnectionResetWithConsistentDNS');
    expect(r.stdout).toContain('censorprobe lab exec');
  });

  it('rejects an unknown scenario in one line with exit code 2', () => {
    const r = cli(['lab', 'run', 'noSuchScenario']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/noSuchScenario\.json: cannot read scenario \(ENOENT\)/);
  });
});

describe('censorprobe lab run', () => {
  it('prints a tls verdict with its reasons for tlsBlockingConnectionResetWithConsistentDNS and writes the report', () => {
    const dir = worldDir();
    const r = cli(['lab', 'run', 'tlsBlockingConnectionResetWithConsistentDNS', '-o', 'out.jsonl'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[1\/1\] TLS\/SNI interference\s+https:\/\/www\.example\.com\//);
    expect(r.stdout).toMatch(/connection_reset/);
    expect(r.stdout).toContain('Verdict: blocking tls, accessible false, status anomaly');
    expect(r.stdout).toContain(`Report: ${join(dir, 'out.jsonl')}`);
    const lines = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!);
    expect(validateRecord(record)).toEqual({ ok: true });
    expect(record.verdict.blocking).toBe('tls');
    expect(record.verdict.reasons.length).toBeGreaterThan(0);
  });

  it('exits 6 (EXIT.DIFFERS) when the verdict differs from the one the scenario expects, saying so', () => {
    const dir = worldDir();
    const scenario = JSON.parse(readFileSync(join(SCENARIOS_DIR, 'successWithHTTP.json'), 'utf8'));
    scenario.name = 'successWithHTTPExpectingDns';
    scenario.expected.verdict = { ...scenario.expected.verdict, blocking: 'dns', accessible: false, status: 'anomaly' };
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify(scenario));
    const r = cli(['lab', 'run', join(dir, 'wrong.json')], { cwd: dir });
    expect(r.code, r.stderr).toBe(6);
    expect(r.stdout).toContain('Verdict: blocking null, accessible true, status ok');
    expect(r.stdout).toContain('The scenario expects blocking dns, accessible false, status anomaly.');
  });

  it('prints the untested-variant notes after the verdict (a DNS HTTPS record with ECH)', () => {
    const dir = worldDir();
    const r = cli(['lab', 'run', join(SCENARIOS_DIR, 'variants', 'ownHttpsRecordEchAndH3.json')], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Note: 1 site advertises Encrypted Client Hello \(ECH, DNS HTTPS record\), which was not tested/);
    expect(r.stdout).toMatch(/Note: 1 site advertises HTTP\/3 \(Alt-Svc or DNS HTTPS record\), which was not tested/);
  });

  it('as an ordinary user (nobody) it runs through a user namespace, or says what is missing', () => {
    const dir = worldDir();
    const r = cli(['lab', 'run', 'tlsBlockingConnectionResetWithConsistentDNS', '-o', 'out.jsonl'], { cwd: dir, asNobody: true, env: { HOME: dir } });
    if (r.code === 0) {
      expect(r.stdout).toContain('Verdict: blocking tls, accessible false, status anomaly');
      expect(JSON.parse(readFileSync(join(dir, 'out.jsonl'), 'utf8')).verdict.blocking).toBe('tls');
    } else {
      expect(r.code).toBe(3); // EXIT.UNAVAILABLE (src/cli/exit-codes.ts)
      expect(r.stderr).toMatch(/^censorprobe lab: the lab (needs root or unprivileged user namespaces|as an ordinary user needs the directory \/etc\/netns)/);
    }
  });

  it('as an ordinary user without unshare it prints one clear line saying what is missing', () => {
    const r = cli(['lab', 'run', 'successWithHTTP'], { asNobody: true, env: { PATH: '/nonexistent' } });
    expect(r.code).toBe(3); // EXIT.UNAVAILABLE
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^censorprobe lab: the lab needs root or unprivileged user namespaces, and `unshare -rnm` failed here \('unshare' \(util-linux\) is not installed\): run it with sudo/);
  });

  it('SIGTERM stops the lab: exit code 143, no namespace of the run is left, no empty report kept', { timeout: 150_000 }, async () => {
    const cwd = worldDir();
    const child = spawn(process.execPath, [CLI, 'lab', 'run', 'ownTlsBlackholeOnSNI', '--', '--tls-timeout', '30000'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const tag = `-${child.pid!.toString(36)}-`;
    // Stop it mid-measurement: once the probe runs in the lab's probe namespace (it then waits up to
    // 30 s on the blackholed handshake). An event, polled, with a deadline generous for a busy machine.
    const deadline = Date.now() + 90_000;
    while (!probeRunning(tag) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(probeRunning(tag), out).toBe(true);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(143); // EXIT.SIGTERM
    expect(out).toContain('SIGTERM: stopping the lab');
    expect(out).toContain('Nothing was measured: no report kept.');
    expect(readdirSync(cwd).filter((f) => f.startsWith('censorprobe-'))).toEqual([]);
    expect(listLabNamespaces().filter((n) => n.includes(tag))).toEqual([]);
  });
});

describe('censorprobe lab exec', () => {
  it("runs a command in the probe's censored namespace: dig gets the forged answer", () => {
    const r = cli(['lab', 'exec', 'dnsHijackingToLocalhostWithHTTP', '--', 'dig', '+short', '+tries=1', 'www.example.com']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('127.0.0.1');
    expect(r.stderr).toContain('CENSORPROBE_LAB_CONTROL=http://68.183.70.80/');
  });

  it('--world runs it in the uncensored world, and the command exit code is passed on', () => {
    const r = cli(['lab', 'exec', '--world', '--no-helper', 'dnsHijackingToLocalhostWithHTTP', '--', 'sh', '-c', 'dig +short @130.192.3.21 www.example.com; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout.trim()).toBe('93.184.216.34');
  });
});

describe('who may build a lab (decideLabAccess)', () => {
  const facts = { platform: 'linux', uid: 1000, insideUserns: false, unshareError: null, etcNetnsExists: true };
  it('root builds it directly, and so does a process already inside the user namespace', () => {
    expect(decideLabAccess({ ...facts, uid: 0 })).toEqual({ mode: 'root' });
    expect(decideLabAccess({ ...facts, insideUserns: true })).toEqual({ mode: 'root' });
  });
  it('an ordinary user re-runs the command under unshare -rnm with private /run/netns and /etc/netns', () => {
    expect(decideLabAccess(facts)).toEqual({ mode: 'userns', prefix: ['unshare', '-rnm', 'sh', '-c', USERNS_SETUP, 'sh'] });
    expect(USERNS_SETUP).toContain('mount -t tmpfs -o mode=755 tmpfs /etc/netns');
  });
  it('otherwise says what is missing', () => {
    expect(decideLabAccess({ ...facts, platform: 'darwin' })).toMatchObject({ mode: 'none', reason: expect.stringMatching(/Linux network namespaces/) });
    expect(decideLabAccess({ ...facts, unshareError: 'Operation not permitted' })).toMatchObject({ mode: 'none', reason: expect.stringMatching(/unshare -rnm` failed here \(Operation not permitted\)/) });
    expect(decideLabAccess({ ...facts, etcNetnsExists: false })).toMatchObject({ mode: 'none', reason: expect.stringMatching(/sudo mkdir \/etc\/netns/) });
  });
});
