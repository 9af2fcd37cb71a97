/**
 * The hostile corpus (src/lab/hostile.ts) through the built CLI in one lab: every behaviour's URL
 * in one `censorprobe run` (all at once), with the lab helper as control, plus the DNS behaviours
 * again through the probe's own UDP resolver (our DNS parser instead of glibc's). Each target must
 * end within its timeouts with a report line, the expected failure (or truncated body), and the
 * probe and the helper must stay within a memory bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { ReportRecord } from '../../src/model/index.js';
import { FAILURES } from '../../src/model/failure.js';
import { loadScenario, startLab, type Lab } from '../../src/lab/index.js';
import { HOSTILE_CORPUS, type HostileCase } from '../../src/lab/hostile.js';
import { LAB_FINGERPRINTS } from '../../src/lab/scenario.js';
import { CLI, ROOT } from '../e2e/cli-path.js';

/** Peak RSS bound for the probe and for the helper, KiB: generous (a clean run takes ~150 MB). */
const MAX_RSS_KB = 600 * 1024;
/** Helper peak RSS bound after 100 concurrent fetches of 32 MiB (25 in flight, 16 MiB counted, 512 KiB kept each), KiB. */
const HELPER_FETCH_RSS_KB = 350 * 1024;
/**
 * With these set, bin/censorprobe.js runs the CLI in its own process instead of re-running itself
 * with a larger thread pool, so the measured process (RSS, /proc) is the one doing the work.
 */
const NO_REEXEC = ['UV_THREADPOOL_SIZE=128', 'RES_OPTIONS=timeout:2 attempts:2'];
const HOOK = join(ROOT, 'bench', 'rusage-hook.mjs');

let lab: Lab;
let helper: ChildProcess;
let records = new Map<string, ReportRecord>();
let udpRecords = new Map<string, ReportRecord>();
let probeRss: number[] = [];
let elapsedMs = 0;

function runArgs(urls: string[], rusage: string, extra: string[]): string[] {
  return [
    'env', `CENSORPROBE_BENCH_RUSAGE=${rusage}`, ...NO_REEXEC,
    process.execPath, '--import', HOOK, CLI, 'run', ...urls, '--json',
    '--control', `http://${lab.helperAddress}/`, '--ca-file', lab.caFile, '--no-doh-default', '--no-baselines',
    '--fingerprints', LAB_FINGERPRINTS, '-c', '64',
    '--dns-timeout', '3000', '--connect-timeout', '5000', '--tls-timeout', '8000', '--http-timeout', '10000', '--control-timeout', '60000',
    ...extra,
  ];
}

const parse = (stdout: string): Map<string, ReportRecord> =>
  new Map(stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ReportRecord).map((r) => [r.input, r]));

beforeAll(async () => {
  // Any uncensored world will do: the hostile servers are part of every lab.
  lab = await startLab(loadScenario('successWithHTTP'));
  helper = lab.spawnInWorld(['env', ...NO_REEXEC, process.execPath, CLI, 'helper', '--listen', `${lab.helperAddress}:80`, '--resolver', `udp://${lab.cleanResolver}:53`, '--ca-file', lab.caFile]);
  helper.stderr?.resume();
  helper.stdout?.resume();
  for (;;) {
    const r = await lab.execInWorld(['ss', '-Htln'], { timeoutMs: 3000 });
    if (r.stdout.includes(`${lab.helperAddress}:80 `)) break;
    await new Promise((r2) => setTimeout(r2, 100));
  }
  const urls = HOSTILE_CORPUS.map((c) => c.url);
  const dnsUrls = HOSTILE_CORPUS.filter((c) => c.layer === 'dns').map((c) => c.url);
  const t0 = Date.now();
  const [all, udp] = await Promise.all([
    lab.execInProbe(runArgs(urls, join(lab.dir, 'rusage-all.json'), []), { timeoutMs: 150_000 }),
    lab.execInProbe(runArgs(dnsUrls, join(lab.dir, 'rusage-udp.json'), ['--resolver', `udp://${lab.ispResolver}`]), { timeoutMs: 150_000 }),
  ]);
  elapsedMs = Date.now() - t0;
  expect(all.stderr).not.toMatch(/internal error|TypeError|RangeError/);
  records = parse(all.stdout);
  udpRecords = parse(udp.stdout);
  probeRss = ['rusage-all.json', 'rusage-udp.json'].map((f) => (JSON.parse(readFileSync(join(lab.dir, f), 'utf8')) as { maxRssKb: number }).maxRssKb);
}, 240_000);

afterAll(async () => {
  await lab?.stop();
});

/** The failure the case is judged on: the HTTP experiment's, or the DNS experiment's. */
function failureOf(c: HostileCase, r: ReportRecord): string | null {
  const ooni = r.ooni as unknown as Record<string, string | null>;
  if (c.layer === 'dns') return ooni['dns_experiment_failure'] ?? null;
  const reqs = r.observations.requests;
  const last = reqs[reqs.length - 1];
  return ooni['http_experiment_failure'] ?? last?.failure ?? null;
}

function inVocabulary(f: string): boolean {
  return (FAILURES as readonly string[]).includes(f) || /^unknown_failure: .+/.test(f);
}

function judge(c: HostileCase, r: ReportRecord | undefined): string | null {
  if (r === undefined) return 'no report line';
  const f = failureOf(c, r);
  if (f !== null && !inVocabulary(f)) return `failure outside the vocabulary: ${f}`;
  const reqs = r.observations.requests;
  const resp = reqs[reqs.length - 1]?.response ?? null;
  if ('failures' in c.expect) {
    if (f === null) return c.expect.orNone === true ? null : 'no failure';
    if (!c.expect.failures.some((e) => (e.endsWith(':') ? f.startsWith(e) : f === e))) return `failure ${f}, expected one of ${c.expect.failures.join(' | ')}`;
  } else if ('truncated' in c.expect) {
    if (c.expect.orTimeout === true && f === 'generic_timeout_error') return null;
    if (f !== null || resp?.body_is_truncated !== true) return `expected a truncated body, got failure ${f}, truncated ${String(resp?.body_is_truncated)}`;
  } else if (f !== null) return `expected success, got ${f}`;
  return null;
}

describe('hostile servers through the CLI', () => {
  it('has at least 25 behaviours', () => {
    expect(HOSTILE_CORPUS.length).toBeGreaterThanOrEqual(25);
  });

  it('every behaviour ends in time with its expected failure (system resolver)', () => {
    if (process.env['HOSTILE_VERBOSE']) {
      for (const c of HOSTILE_CORPUS) {
        const r = records.get(c.url);
        const u = udpRecords.get(c.url);
        process.stderr.write(`${c.name.padEnd(48)} ${String(r && failureOf(c, r))}${u ? `  (udp: ${String(failureOf(c, u))})` : ''}  ${String(r?.verdict.blocking)}\n`);
      }
    }
    const bad = HOSTILE_CORPUS.map((c) => [c.name, judge(c, records.get(c.url))] as const).filter(([, why]) => why !== null);
    expect(bad, bad.map(([n, w]) => `${n}: ${w}`).join('\n')).toEqual([]);
  });

  it('the DNS behaviours end with a DNS failure through the probe’s own UDP resolver too', () => {
    const dns = HOSTILE_CORPUS.filter((c) => c.layer === 'dns');
    const bad = dns.map((c) => [c.name, judge(c, udpRecords.get(c.url))] as const).filter(([, why]) => why !== null);
    expect(bad, bad.map(([n, w]) => `${n}: ${w}`).join('\n')).toEqual([]);
  });

  it('100 concurrent helper fetches of a 32 MiB page: 200s and 503s, bounded helper memory', async () => {
    const body = JSON.stringify({ http_request: 'http://largefile.com/', http_request_headers: {}, tcp_connect: [] });
    const script = `for i in $(seq 100); do curl -s -o /dev/null -w '%{http_code}\\n' -m 90 -H 'content-type: application/json' -d '${body}' http://${lab.helperAddress}/ & done; wait`;
    const r = await lab.execInProbe(['sh', '-c', script], { timeoutMs: 120_000 });
    const codes = r.stdout.split('\n').filter((l) => l !== '');
    expect(codes).toHaveLength(100);
    expect(codes.every((c) => c === '200' || c === '503'), codes.join(',')).toBe(true);
    expect(codes.filter((c) => c === '200').length).toBeGreaterThan(0);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${helper.pid}/status`, 'utf8'));
    if (process.env['HOSTILE_VERBOSE']) process.stderr.write(`helper peak RSS ${hwm?.[1]} kB, codes ${codes.filter((c) => c === '200').length} x 200\n`);
    expect(Number(hwm?.[1])).toBeLessThan(HELPER_FETCH_RSS_KB);
  }, 150_000);

  it('the run stays bounded in time and memory, and the helper survives it', async () => {
    // Every timeout is at most 10 s and the control 60 s: the whole run far below 150 s.
    expect(elapsedMs).toBeLessThan(140_000);
    for (const kb of probeRss) expect(kb).toBeLessThan(MAX_RSS_KB);
    expect(helper.exitCode).toBeNull();
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${helper.pid}/status`, 'utf8'));
    expect(Number(hwm?.[1])).toBeLessThan(MAX_RSS_KB);
    const health = await lab.execInProbe(['curl', '-sS', '-m', '10', `http://${lab.helperAddress}/`], { timeoutMs: 15_000 });
    expect(health.stdout).toContain('Hello');
  });
});
