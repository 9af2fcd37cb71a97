/**
 * The process around the CLI (src/cli/launch.ts) through bin/censorprobe.js: `run` re-runs itself in
 * a child with the larger thread pool, bounded resolver retries and the launcher's pid; that child
 * stops (whole lines only) when the launcher is killed; a closed standard output ends a listing,
 * help or a dry run quietly (exit 0), a report with exit 4, and is ignored by `run -o FILE` (only
 * its console was lost). The probe runs in an offline namespace; the closed
 * output is a FIFO whose only reader is closed before the CLI starts, so every write fails with
 * EPIPE (no race with a reader such as `head`). Waits are for events (output, /proc state) with
 * generous deadlines, never fixed sleeps.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRecord } from '../../src/report/schema.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { CLI } from './cli-path.js';
import { closedPipe } from './closed-pipe.js';
import { createOfflineNs, type OfflineNs } from './offline-ns.js';

let ns: OfflineNs;
let dir = '';

beforeAll(() => {
  ns = createOfflineNs('launch', { blackholeDns: true });
  dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-launch-'));
});
afterAll(() => {
  ns.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** The pids whose parent is `pid` (from /proc/PID/stat). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false; // gone meanwhile
    }
  }).map(Number);
}

/** True once `pid` has ended (gone, or a zombie nobody reaped yet). */
function ended(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after `deadlineMs`. */
async function until<T>(what: string, check: () => T | undefined, deadlineMs = 30_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the re-run child', () => {
  it('has the pool size, resolver options and launcher pid; it stops with whole lines when the launcher is killed', async () => {
    const out = path.join(dir, 'orphan.jsonl');
    const urls = Array.from({ length: 40 }, (_, i) => `https://orphan${i}.example.org/`);
    const launcher = ns.spawn(['run', '--resolver', 'udp://127.0.0.2', '--dns-timeout', '1500', '--no-doh-default', '--no-baselines', '-c', '1', '-o', out, ...urls]);
    let stdout = '';
    launcher.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    launcher.stderr?.resume();
    // `ip netns exec` execs the command: the spawned pid is the launcher. Its output is the child's.
    const pid = launcher.pid as number;
    await until('the first finished target', () => (/\[\s*1\/40\]/.test(stdout) ? true : undefined));
    const child = await until('the re-run child', () => childrenOf(pid)[0]);
    const env = Object.fromEntries(readFileSync(`/proc/${child}/environ`, 'utf8').split('\0').filter((l) => l !== '').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env).toMatchObject({ UV_THREADPOOL_SIZE: '128', RES_OPTIONS: 'timeout:2 attempts:2', CENSORPROBE_PARENT_PID: String(pid) });
    // The child has its own process group: killing the launcher alone (no signal forwarded) orphans it.
    launcher.kill('SIGKILL');
    await until('the orphaned child to stop', () => (ended(child) ? true : undefined));
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThan(urls.length);
    for (const l of lines) expect(validateRecord(JSON.parse(l))).toEqual({ ok: true });
    expect(existsSync(`${out}.lock`)).toBe(false); // it stopped as on SIGTERM, releasing the report
  });
});

describe('a closed standard output', () => {
  it('ends a listing quietly: exit 0, nothing on stderr', () => {
    const fd = closedPipe(dir);
    const r = spawnSync(process.execPath, [CLI, 'lab', 'list'], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000 });
    closeSync(fd);
    expect(r.status).toBe(EXIT.OK);
    expect(r.stderr).toBe('');
  });
  it('ends help, --version and a dry-run listing quietly too (exit 0), data commands included', () => {
    for (const args of [['run', '--help'], ['check', '--help'], ['diff', '-h'], ['report', '--help'], ['control', '--help'], ['help', 'run'], ['--version'], ['--help']]) {
      const fd = closedPipe(dir);
      const r = spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000 });
      closeSync(fd);
      expect(r.status, args.join(' ')).toBe(EXIT.OK);
      expect(r.stderr, args.join(' ')).toBe('');
    }
    const fd = closedPipe(dir);
    const r = spawnSync(process.execPath, [CLI, 'run', '--dry-run', 'https://a.example/', 'https://b.example/'], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000 });
    closeSync(fd);
    expect(r.status).toBe(EXIT.OK);
    expect(r.stderr).toBe('dry run: 2 targets would be measured; nothing was measured.\n');
  });
  it('run -o FILE: stdout carries only the console; losing it stops nothing and blames no report (exit 0, every target in the report)', () => {
    const out = path.join(dir, 'console-lost.jsonl');
    const urls = Array.from({ length: 6 }, (_, i) => `https://lost${i}.example.org/`);
    const fd = closedPipe(dir);
    const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, CLI, 'run', '--resolver', 'udp://127.0.0.2', '--dns-timeout', '300', '--no-doh-default', '--no-baselines', '-c', '2', '-o', out, ...urls], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 120_000 });
    closeSync(fd);
    expect(r.status, r.stderr).toBe(EXIT.OK);
    expect(r.stderr).not.toMatch(/incomplete|standard output/);
    const recs = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { input: string });
    expect(recs.map((x) => x.input).sort()).toEqual([...urls].sort());
    for (const rec of recs) expect(validateRecord(rec)).toEqual({ ok: true });
    expect(existsSync(`${out}.lock`)).toBe(false);
  });
  it('makes a report incomplete: exit 4 and one line saying so', () => {
    const fd = closedPipe(dir);
    const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, CLI, 'run', '--json', '-q', '--no-doh-default', '--no-baselines', '--dns-timeout', '300', 'https://a.example.org/'], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000 });
    closeSync(fd);
    expect(r.status).toBe(EXIT.REPORT_WRITE);
    expect(r.stderr.trim().split('\n')).toEqual(['censorprobe: standard output was closed: the report is incomplete']);
  });
});
