/**
 * `npm run bench` (after `npm run build`): speed, latency and memory of the built CLI, measured in
 * a lab world of thousands of targets, side by side with a plain dig + curl loop.
 *
 * What it does (needs root, `ip`, `nft`, `dig`, `curl`, and preferably `nginx`; traffic never leaves the lab's namespaces):
 * 1. start-up time of `node bin/censorprobe.js --version` (median of 10);
 * 2. one lab (src/lab `startLab`) whose DNS tables hold 5000 bench names mapped onto five
 *    addresses (bench/plan.ts), the bench web servers (nginx through bench/nginx-world.ts when
 *    installed, else bench/world-extra.ts; BENCH_SERVERS) and a `censorprobe helper` in the world
 *    namespace;
 * 3. `censorprobe run -i LIST -o OUT -q -c C` in the probe namespace at C = 1 (N = 100), 16 and 64
 *    (N = 1000), C = 64 without any control, C = 64 on the default path (no helper: DNS-over-HTTPS
 *    to the lab's 1.1.1.1, 8.8.8.8 and 9.9.9.9), then C = 64 at N = 5000 (for memory); each run's
 *    peak RSS and CPU come from the process that measures (bin/censorprobe.js re-runs `run` in a
 *    child: bench/rusage-hook.mjs writes the child's getrusage at exit, the launcher's beside it),
 *    time-to-verdict from each line's `test_runtime`; the runs that carry a goal (C = 64 N = 1000
 *    with the helper, and the probe alone with its dig + curl loop) are repeated (BENCH_REPEAT,
 *    default 3) and the median is reported with every repeat's figure;
 * 4. the dig + curl loop (bench/baseline.sh through `xargs -P C`) on the same list right after each
 *    probe run at C = 1, 16, 64 (same background load: the ratio is the fair figure);
 * 5. `censorprobe analyze` over 100,000 measurements (the N = 1000 lines repeated; the median of
 *    BENCH_REPEAT runs), or, while that command does not exist, src/classify over the re-read
 *    lines (bench/classify-throughput.ts).
 * Prints a table with pass/fail per target and writes bench/results.json (gitignored).
 * Environment: BENCH_QUICK=1 runs smaller N (a smoke test of the bench itself; targets not
 * meaningful); BENCH_ONLY, BENCH_REPEAT, BENCH_SERVERS, BENCH_PROFILE, BENCH_PROFILE_KIND, BENCH_EXTRA_IMPORT, BENCH_KEEP: see below.
 * Exit code: 0 when the bench ran (whatever the verdicts of the targets), 1 when it could not run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLabCa, issueLeaf } from '../src/lab/lab-ca.js';
import { HELPER_ADDRESS, startLab, type Lab } from '../src/lab/index.js';
import { WORLD_ADDRESSES } from '../src/lab/world-hosts.js';
import type { ReportRecord } from '../src/model/index.js';
import { verdictLabel } from '../src/runner/labels.js';
import { BENCH_ADDRESSES, BENCH_ZONE, benchScenario, expectedLabel, KIND_SHARES, makeTargets, type BenchTarget, type TargetKind } from './plan.js';
import type { WorldExtraSpec } from './world-extra.js';
import { nginxVersion, startNginxWorld } from './nginx-world.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin/censorprobe.js');
const HOOK = join(ROOT, 'bench/rusage-hook.mjs');
const QUICK = process.env.BENCH_QUICK === '1';
/** BENCH_ONLY=c64-n5000[,c64-n1000-doh,c64-n1000-nocontrol,…]: run only these probe runs (and no baseline, no analyze), for investigations. */
// BENCH_EXTRA_IMPORT=FILE: one more `--import` for the probe process (e.g. an allocation sampler).
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
/**
 * BENCH_REPEAT=K: how many times the runs that carry a goal (c=64 N=1000 with the helper, the
 * probe alone with its dig + curl loop, and `analyze`) are repeated; the median one is reported, every repeat's
 * rate beside it (default 3, 1 with BENCH_QUICK). A shared machine's neighbours move a single
 * run by ±20 %; the median of three is what hyperfine-style tools report.
 */
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEAT ?? (QUICK ? 1 : 3)) || 1);
/** BENCH_PROFILE=DIR: the probe runs and the helper write V8 profiles (`node --cpu-prof`) to DIR. */
const PROFILE_DIR = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : null;
/** BENCH_PROFILE_KIND=heap: sampling heap profiles (`--heap-prof`) instead of CPU profiles. */
const PROFILE_KIND = process.env.BENCH_PROFILE_KIND === 'heap' ? 'heap' : 'cpu';
/** BENCH_KEEP=DIR: copy each probe run's report (`NAME.jsonl`) and resource usage (`NAME.usage.json`) to DIR (the lab's directory is removed at the end). */
const KEEP_DIR = process.env.BENCH_KEEP ? resolve(process.env.BENCH_KEEP) : null;
const PROFILE_ARGS = PROFILE_DIR !== null ? [`--${PROFILE_KIND}-prof`, `--${PROFILE_KIND}-prof-dir=${PROFILE_DIR}`] : [];

/**
 * BENCH_SERVERS=node|nginx: what serves the bench's websites. Default: nginx when installed
 * (bench/nginx-world.ts; `apt-get install nginx-light`), else Node (bench/world-extra.ts). The
 * websites stand for servers elsewhere on the internet; on the bench's 2 cores their CPU competes
 * with the probe's, and nginx spends about half of what Node's https server does.
 */
const NGINX_VERSION = nginxVersion();
const WEB_SERVERS: 'nginx' | 'node' = process.env.BENCH_SERVERS === 'node' ? 'node' : process.env.BENCH_SERVERS === 'nginx' || NGINX_VERSION !== null ? 'nginx' : 'node';

/** Size of the page every bench website serves (fixtures/pages/example_page.html), bytes. */
const PAGE_BYTES = readFileSync(join(ROOT, 'fixtures/pages/example_page.html')).length;

/** Step timeouts of every bench run, ms (short, so blocked targets finish in bounded time). */
const TIMEOUTS = { dnsMs: 2000, connectMs: 1500, tlsMs: 1500, httpMs: 2000, controlMs: 10_000 };
/** The issue's targets. */
const TARGETS = { defaultPathCpuS: 0.01, throughputC64: 150, rssMb: 200, rssGrowth: 0.2, p95Slack: 0.1, analyzePerS: 20_000, startupMs: 150, baselineRatio: 3 };

const N_MAX = QUICK ? 300 : 5000;
const N_MAIN = QUICK ? 200 : 1000;
const N_SERIAL = QUICK ? 30 : 100;
const N_ANALYZE = QUICK ? 10_000 : 100_000;

interface Usage {
  maxRssKb: number;
  liveHeapKb: number | null;
  sampledPeak: { rssKb: number; heapTotalKb: number; externalKb: number };
  vmHwmKb: number | null;
  userUs: number;
  systemUs: number;
  uptimeMs: number;
}

/** The probe's resource usage written by bench/rusage-hook.mjs; zeros (and a log line) when the process left none. */
function readUsage(file: string): Usage {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Usage;
  } catch {
    log(`no resource usage in ${file} (the process did not exit normally)`);
    return { maxRssKb: 0, vmHwmKb: null, liveHeapKb: null, sampledPeak: { rssKb: 0, heapTotalKb: 0, externalKb: 0 }, userUs: 0, systemUs: 0, uptimeMs: 0 };
  }
}

interface RunResult {
  name: string;
  concurrency: number;
  n: number;
  exitCode: number | null;
  wallS: number;
  targetsPerS: number;
  probeCpuSPerTarget: number;
  machineCpuSPerTarget: number;
  /** CPU s per target of the lab's other processes (helper, world, bench servers), by role. */
  labCpuSPerTarget: Record<string, number>;
  peakRssMb: number;
  /** Heap used + external after a full GC at exit, MB: what the probe still held at the end. */
  liveHeapMbAtExit: number | null;
  /** The largest RSS sampled every 100 ms and V8's heapTotal / external at that moment, MB. */
  sampledPeakMb: { rss: number; v8HeapTotal: number; external: number };
  /** The run's own summary (the last lines of its stdout). */
  summary: string;
  correct: number;
  wrong: { url: string; kind: TargetKind; got: string; why: string }[];
  /** Per verdict label: count, p50/p95 of test_runtime (s), the bound (s). */
  latency: Record<string, { count: number; p50S: number; p95S: number; stepTimeoutS: number | null }>;
  /** When the run was repeated ({@link REPEATS}): targets/s of every repeat, in the order run; this result is the median one. */
  repeatsPerS?: number[];
}

function log(s: string): void {
  process.stderr.write(`[bench] ${s}\n`);
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

/** Machine-wide busy CPU seconds (all cores) from /proc/stat. */
function machineCpuS(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return busy / 100; // USER_HZ = 100 on Linux
}

/** CPU seconds (user + system) of the lab's long-lived processes, by role, from /proc/<pid>/stat. */
function labCpuS(lab: Lab): Record<string, number> {
  const out: Record<string, number> = {};
  const pids = spawnSync('ip', ['netns', 'pids', lab.worldNs], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
      const role = cmd.includes('world-main') ? 'world' : cmd.includes('world-extra') || cmd.startsWith('nginx') ? 'bench-servers' : cmd.includes(' helper ') ? 'helper' : null;
      if (role !== null) out[role] = (out[role] ?? 0) + ticks / 100;
    } catch {
      /* exited */
    }
  }
  return out;
}

/** The step whose timeout bounds a blocked target's time-to-verdict, per verdict label. */
function stepTimeoutS(label: string): number | null {
  switch (label) {
    case 'dns':
      return TIMEOUTS.dnsMs / 1000;
    case 'tcp_ip':
    case 'down':
      return TIMEOUTS.connectMs / 1000;
    case 'tls':
      return TIMEOUTS.tlsMs / 1000;
    case 'http-failure':
    case 'http-diff':
      return TIMEOUTS.httpMs / 1000;
    default:
      return null;
  }
}

async function startupMs(): Promise<{ medianMs: number; minMs: number; runs: number[] }> {
  const runs: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`censorprobe --version failed: ${r.stderr}`);
    if (i > 0) runs.push(Math.round(ms * 10) / 10); // the first warms the page cache
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { medianMs: quantile(sorted, 0.5), minMs: sorted[0] ?? NaN, runs };
}

function waitForLine(child: ReturnType<Lab['spawnInWorld']>, match: (line: string) => boolean, what: string, ms: number): Promise<void> {
  return new Promise((res, rej) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(() => rej(new Error(`${what} not ready after ${ms} ms; stderr: ${err.slice(0, 500)}`)), ms);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      if (buf.split('\n').some(match)) {
        clearTimeout(timer);
        res();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`${what} exited (${code}); stderr: ${err.slice(0, 500)}`));
    });
  });
}

interface World {
  lab: Lab;
  caFiles: string[];
  allCaFile: string;
}

async function buildWorld(targets: BenchTarget[]): Promise<World> {
  const t0 = performance.now();
  const lab = await startLab(benchScenario(targets));
  try {
    for (const ip of Object.values(BENCH_ADDRESSES)) {
      if (WORLD_ADDRESSES.includes(ip)) throw new Error(`bench address ${ip} is already one of the lab world's addresses: pick another in bench/plan.ts`);
      const r = await lab.execInWorld(['ip', 'addr', 'add', `${ip}/32`, 'dev', 'lo']);
      if (r.code !== 0) throw new Error(`ip addr add ${ip}: ${r.stderr}`);
    }
    const ca = await createLabCa('censorprobe bench CA');
    const kinds = Object.keys(KIND_SHARES) as TargetKind[];
    const leaf = await issueLeaf(ca, kinds.map((k) => `*.${k}.${BENCH_ZONE}`));
    const benchCa = join(lab.dir, 'bench-ca.pem');
    writeFileSync(benchCa, ca.cert);
    const allCaFile = join(lab.dir, 'all-ca.pem');
    writeFileSync(allCaFile, `${readFileSync(lab.caFile, 'utf8').trim()}\n${ca.cert.trim()}\n`);
    const spec: WorldExtraSpec = {
      serve: [BENCH_ADDRESSES.ok, BENCH_ADDRESSES.drop, BENCH_ADDRESSES.rst, BENCH_ADDRESSES.blockpage],
      cert: leaf.cert,
      key: leaf.key,
      pagePath: join(ROOT, 'fixtures/pages/example_page.html'),
    };
    const specFile = join(lab.dir, 'world-extra.json');
    writeFileSync(specFile, JSON.stringify(spec));
    if (WEB_SERVERS === 'nginx') {
      await startNginxWorld(lab, spec);
    } else {
      const extra = lab.spawnInWorld([process.execPath, '--import', 'tsx', join(ROOT, 'bench/world-extra.ts'), specFile]);
      await waitForLine(extra, (l) => l.includes('"ready"'), 'bench world-extra', 20_000);
    }
    const helper = lab.spawnInWorld([
      process.execPath,
      ...PROFILE_ARGS,
      CLI,
      'helper',
      '--listen',
      `${HELPER_ADDRESS}:80`,
      '--resolver',
      `udp://${lab.cleanResolver}:53`,
      '--ca-file',
      allCaFile,
      '--max-in-flight',
      '1000',
    ]);
    await waitForLine(helper, (l) => l.includes('listening'), 'censorprobe helper', 20_000);
    log(`lab ready in ${Math.round(performance.now() - t0)} ms (${targets.length} names in DNS)`);
    return { lab, caFiles: [lab.caFile, benchCa], allCaFile };
  } catch (e) {
    await lab.stop();
    throw e;
  }
}

/**
 * Runs `censorprobe run` in the probe namespace. `control: false` measures without any control (no
 * helper, no DoH): the same job as the dig + curl loop (DNS, connect, TLS, HTTP per target, plus our
 * classification), for the like-for-like throughput ratio; its verdicts are mostly `inconclusive`
 * (`verdicts as planned` counts them against the rules without a helper: bench/plan.ts expectedLabel).
 */
async function runProbe(world: World, name: string, targets: BenchTarget[], concurrency: number, opts: { control?: boolean | 'doh' } = {}): Promise<RunResult> {
  const control = opts.control ?? true;
  // The verdicts the world is built to produce depend on the control (bench/plan.ts expectedLabel).
  const expected = control === true ? 'helper' : control === 'doh' ? 'doh' : 'none';
  const { lab } = world;
  const list = join(lab.dir, `${name}.txt`);
  const out = join(lab.dir, `${name}.jsonl`);
  const usageFile = join(lab.dir, `${name}.usage.json`);
  writeFileSync(list, targets.map((t) => t.url).join('\n') + '\n');
  rmSync(out, { force: true });
  process.env.CENSORPROBE_BENCH_RUSAGE = usageFile;
  const cpu0 = machineCpuS();
  const lab0 = labCpuS(lab);
  const t0 = performance.now();
  const r = await lab.execInProbe(
    [
      process.execPath,
      ...PROFILE_ARGS,
      '--expose-gc',
      ...(process.env.BENCH_EXTRA_IMPORT ? ['--import', process.env.BENCH_EXTRA_IMPORT] : []),
      '--import',
      HOOK,
      CLI,
      'run',
      '--yes',
      '-i',
      list,
      '-o',
      out,
      '-q',
      '-c',
      String(concurrency),
      // control true: the helper; 'doh': the default path (no helper: the default DoH resolvers,
      // which the lab serves on 1.1.1.1, 8.8.8.8 and 9.9.9.9); false: no control at all.
      ...(control === true ? ['--control', `http://${HELPER_ADDRESS}/`] : []),
      ...world.caFiles.flatMap((f) => ['--ca-file', f]),
      ...(control === 'doh' ? [] : ['--no-doh-default']),
      '--dns-timeout',
      String(TIMEOUTS.dnsMs),
      '--connect-timeout',
      String(TIMEOUTS.connectMs),
      '--tls-timeout',
      String(TIMEOUTS.tlsMs),
      '--http-timeout',
      String(TIMEOUTS.httpMs),
      '--control-timeout',
      String(TIMEOUTS.controlMs),
    ],
    { timeoutMs: 300_000 },
  );
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = machineCpuS() - cpu0;
  const lab1 = labCpuS(lab);
  delete process.env.CENSORPROBE_BENCH_RUSAGE;
  if (r.code !== 0) log(`${name}: censorprobe run exited ${r.code}: ${r.stderr.slice(0, 800)}`);
  if (KEEP_DIR !== null) for (const [from, to] of [[out, `${name}.jsonl`], [usageFile, `${name}.usage.json`]] as const) if (existsSync(from)) copyFileSync(from, join(KEEP_DIR, to));
  const usage = readUsage(usageFile);
  const launcher = existsSync(`${usageFile}.launcher`) ? readUsage(`${usageFile}.launcher`) : null;
  const kindByUrl = new Map(targets.map((t) => [t.url, t.kind]));
  const times = new Map<string, number[]>();
  let correct = 0;
  const wrong: RunResult['wrong'] = [];
  const lines = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter((l) => l !== '') : [];
  for (const line of lines) {
    const rec = JSON.parse(line) as ReportRecord;
    const label = verdictLabel(rec.verdict);
    const kind = kindByUrl.get(rec.input);
    // An accessible target must have been served the example page itself (not, say, a 404 that
    // probe and helper would agree on).
    const final = rec.observations.requests[0]?.response ?? null;
    const served = (kind !== 'ok-http' && kind !== 'ok-https') || (final?.code === 200 && final.body_length === PAGE_BYTES);
    if (kind !== undefined && expectedLabel(kind, expected) === label && served) correct++;
    else if (kind !== undefined) wrong.push({ url: rec.input, kind, got: label, why: served ? rec.verdict.reasons.join(' ') : `the website answered ${final?.code ?? 'nothing'} (${final?.body_length ?? 0} bytes), not the ${PAGE_BYTES}-byte example page` });
    const arr = times.get(label) ?? [];
    arr.push(rec.test_runtime);
    times.set(label, arr);
  }
  const latency: RunResult['latency'] = {};
  for (const [label, arr] of [...times.entries()].sort()) {
    arr.sort((a, b) => a - b);
    latency[label] = { count: arr.length, p50S: round3(quantile(arr, 0.5)), p95S: round3(quantile(arr, 0.95)), stepTimeoutS: stepTimeoutS(label) };
  }
  const res: RunResult = {
    name,
    concurrency,
    n: targets.length,
    exitCode: r.code,
    wallS: round3(wallS),
    targetsPerS: round1(lines.length / wallS),
    probeCpuSPerTarget: round4((usage.userUs + usage.systemUs) / 1e6 / Math.max(1, lines.length)),
    machineCpuSPerTarget: round4(cpuS / Math.max(1, lines.length)),
    labCpuSPerTarget: Object.fromEntries(Object.entries(lab1).map(([k, v]) => [k, round4((v - (lab0[k] ?? 0)) / Math.max(1, lines.length))])),
    peakRssMb: round1(usage.maxRssKb / 1024),
    liveHeapMbAtExit: usage.liveHeapKb === null ? null : round1(usage.liveHeapKb / 1024),
    sampledPeakMb: { rss: round1(usage.sampledPeak.rssKb / 1024), v8HeapTotal: round1(usage.sampledPeak.heapTotalKb / 1024), external: round1(usage.sampledPeak.externalKb / 1024) },
    summary: r.stdout.trim().split('\n').slice(-14).join('\n'),
    correct,
    wrong: wrong.slice(0, 20),
    latency,
  };
  if (lines.length !== targets.length) log(`${name}: ${lines.length} lines for ${targets.length} targets`);
  if (launcher !== null) log(`${name}: figures of the measuring child; the launcher used ${round1(launcher.maxRssKb / 1024)} MB, ${round4((launcher.userUs + launcher.systemUs) / 1e6)} CPU s`);
  log(`${name}: ${res.targetsPerS} targets/s, ${res.peakRssMb} MB peak RSS (live heap at exit ${res.liveHeapMbAtExit} MB; at the sampled peak ${JSON.stringify(res.sampledPeakMb)}), ${correct}/${targets.length} verdicts as planned; CPU s/target probe ${res.probeCpuSPerTarget} ${JSON.stringify(res.labCpuSPerTarget)}`);
  return res;
}

interface BaselineResult {
  /** The probe run this loop ran right after (the ratio's other side). */
  against?: string;
  concurrency: number;
  n: number;
  wallS: number;
  targetsPerS: number;
  machineCpuSPerTarget: number;
  fetched: number;
  /** Count per `kind result` (result: HTTP status/curl exit code, or `dns`). */
  outcomes: Record<string, number>;
  /** When the pair (probe run, loop) was repeated: each repeat's ratio, in the order run; this loop is the median pair's. */
  repeatRatios?: number[];
}

async function runBaseline(world: World, name: string, targets: BenchTarget[], concurrency: number): Promise<BaselineResult> {
  const list = join(world.lab.dir, `${name}.txt`);
  writeFileSync(list, targets.map((t) => t.url).join('\n') + '\n');
  const env = [
    `DNS_S=${Math.max(1, Math.round(TIMEOUTS.dnsMs / 1000))}`,
    `CONNECT_S=${TIMEOUTS.connectMs / 1000}`,
    `MAX_S=${(TIMEOUTS.connectMs + TIMEOUTS.httpMs) / 1000}`,
    `CA_FILE=${world.allCaFile}`,
  ];
  const cpu0 = machineCpuS();
  const t0 = performance.now();
  const r = await world.lab.execInProbe(['env', ...env, 'xargs', '-P', String(concurrency), '-n', '1', '-a', list, 'sh', join(ROOT, 'bench/baseline.sh')], { timeoutMs: 300_000 });
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = machineCpuS() - cpu0;
  const out = r.stdout.split('\n').filter((l) => l !== '');
  const fetched = out.filter((l) => / 200\/0$/.test(l)).length;
  const outcomes: Record<string, number> = {};
  for (const l of out) {
    const m = /^https?:\/\/[^.]+\.([^.]+)\.\S+ (\S+)$/.exec(l);
    const key = m ? `${m[1]} ${m[2]}` : l;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  if (out.length !== targets.length) log(`${name}: ${out.length} result lines for ${targets.length} targets; stderr: ${r.stderr.slice(0, 300)}`);
  const res = { concurrency, n: targets.length, wallS: round3(wallS), targetsPerS: round1(out.length / wallS), machineCpuSPerTarget: round4(cpuS / Math.max(1, out.length)), fetched, outcomes };
  log(`${name}: dig+curl ${res.targetsPerS} targets/s (${fetched} fetched 200)`);
  return res;
}

interface AnalyzeResult {
  tool: string;
  measurements: number;
  fileMb: number;
  wallS: number;
  measurementsPerS: number;
  peakRssMb: number;
  /** measurements/s of every repeat, in the order run (this result is the median one). */
  repeatsPerS?: number[];
}

function analyzeAvailable(): boolean {
  const r = spawnSync(process.execPath, [CLI, 'analyze', '--help'], { encoding: 'utf8' });
  return r.status === 0 && /analy/i.test(r.stdout);
}

async function runAnalyze(world: World, source: string): Promise<AnalyzeResult> {
  const lines = readFileSync(source, 'utf8').split('\n').filter((l) => l !== '');
  const file = join(world.lab.dir, 'analyze-100k.jsonl');
  const ws = createWriteStream(file);
  let bytes = 0;
  for (let i = 0; i < N_ANALYZE; i++) {
    const line = `${lines[i % lines.length] ?? ''}\n`;
    bytes += Buffer.byteLength(line);
    if (!ws.write(line)) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
  const useCli = analyzeAvailable();
  const argv = (): string[] => (useCli ? ['--import', HOOK, CLI, 'analyze', file] : ['--import', 'tsx', '--import', HOOK, join(ROOT, 'bench/classify-throughput.ts'), file]);
  log(`analyze: ${useCli ? 'censorprobe analyze' : 'censorprobe analyze not available yet: src/classify over re-read lines'} on ${N_ANALYZE} measurements (${Math.round(bytes / 1e6)} MB)`);
  let repeat = 0;
  const once1 = async (): Promise<AnalyzeResult> => {
    const usageFile = join(world.lab.dir, `analyze-${repeat++}.usage.json`);
    const t0 = performance.now();
    const child = spawn(process.execPath, argv(), { env: { ...process.env, CENSORPROBE_BENCH_RUSAGE: usageFile }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    const wallS = (performance.now() - t0) / 1000;
    if (code !== 0) log(`analyze exited ${code}: ${err.slice(0, 500)}`);
    const usage = readUsage(usageFile);
    return {
      tool: useCli ? 'censorprobe analyze' : 'bench/classify-throughput.ts (src/classify)',
      measurements: N_ANALYZE,
      fileMb: round1(bytes / 1e6),
      wallS: round3(wallS),
      measurementsPerS: Math.round(N_ANALYZE / wallS),
      peakRssMb: round1(usage.maxRssKb / 1024),
    };
  };
  // Like the throughput goals: the median of REPEATS runs (a shared machine's neighbours move one run by ±20 %).
  const m = await medianOf(once1, (r) => r.measurementsPerS);
  rmSync(file, { force: true });
  return { ...m.median, repeatsPerS: m.results.map((r) => r.measurementsPerS) };
}

/** Cores of this machine. */
const CORES = availableParallelism();

/** CPU s per target of the lab's processes (helper, world, bench servers). */
function labCpu(r: RunResult): number {
  return round4(Object.values(r.labCpuSPerTarget).reduce((a, b) => a + b, 0));
}

/** targets/s if the probe and the lab had every core to themselves (CPU-bound estimate). */
function ceiling(r: RunResult): number {
  const perTarget = r.probeCpuSPerTarget + labCpu(r);
  return perTarget > 0 ? round1(CORES / perTarget) : NaN;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

interface Check {
  target: string;
  measured: string;
  pass: boolean;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/**
 * medianOf runs `once` {@link REPEATS} times and returns the result whose `key` is the median (the
 * lower middle one for an even count), and every result in the order run.
 */
async function medianOf<T>(once: () => Promise<T>, key: (t: T) => number): Promise<{ median: T; results: T[] }> {
  const results: T[] = [];
  for (let i = 0; i < REPEATS; i++) results.push(await once());
  const sorted = [...results].sort((a, b) => key(a) - key(b));
  return { median: sorted[Math.floor((sorted.length - 1) / 2)] as T, results };
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm run bench does)');
  const startedAt = new Date();
  const startup = await startupMs();
  log(`start-up: median ${startup.medianMs} ms`);

  const all = makeTargets(N_MAX);
  const main1000 = all.slice(0, N_MAIN);
  const serial = all.slice(0, N_SERIAL);
  const world = await buildWorld(all);
  const runs: RunResult[] = [];
  const baselines: BaselineResult[] = [];
  let analyze: AnalyzeResult | null = null;
  try {
    await runProbe(world, 'warmup', all.slice(N_MAX - 40), 8);
    if (ONLY !== null) {
      for (const name of ONLY) {
        const m = /^c(\d+)-n(\d+)(-doh|-nocontrol)?$/.exec(name);
        const control = m?.[3] === '-doh' ? ('doh' as const) : m?.[3] !== '-nocontrol';
        if (m) runs.push(await runProbe(world, name, all.slice(0, Number(m[2])), Number(m[1]), { control }));
      }
      return;
    }
    // Each probe run is followed at once by the dig + curl loop on the same list and concurrency,
    // so that both see the same background load (the ratio is the fair figure on a noisy machine).
    for (const [c, list] of [
      [1, serial],
      [16, main1000],
      [64, main1000],
    ] as const) {
      const name = `c${c}-n${list.length}`;
      if (c === 64) {
        // The throughput goal's run: the median of REPEATS.
        const m = await medianOf(() => runProbe(world, name, list, c), (r) => r.targetsPerS);
        runs.push({ ...m.median, repeatsPerS: m.results.map((r) => r.targetsPerS) });
      } else {
        runs.push(await runProbe(world, name, list, c));
      }
      baselines.push({ ...(await runBaseline(world, `dig-curl-${name}`, list, c)), against: name });
    }
    // Like for like with dig + curl (which has no control): the probe alone, then the loop again;
    // the pair with the median ratio of REPEATS.
    const pair = await medianOf(
      async () => {
        const probe = await runProbe(world, `c64-n${N_MAIN}-nocontrol`, main1000, 64, { control: false });
        const loop = await runBaseline(world, `dig-curl-c64-n${main1000.length}-again`, main1000, 64);
        return { probe, loop };
      },
      (p) => p.probe.targetsPerS / p.loop.targetsPerS,
    );
    runs.push({ ...pair.median.probe, repeatsPerS: pair.results.map((p) => p.probe.targetsPerS) });
    baselines.push({ ...pair.median.loop, against: `c64-n${N_MAIN}-nocontrol`, repeatRatios: pair.results.map((p) => round3(p.probe.targetsPerS / p.loop.targetsPerS)) });
    // The default path (no helper: DNS-over-HTTPS to the lab's 1.1.1.1, 8.8.8.8, 9.9.9.9), then the loop again.
    runs.push(await runProbe(world, `c64-n${N_MAIN}-doh`, main1000, 64, { control: 'doh' }));
    baselines.push({ ...(await runBaseline(world, `dig-curl-c64-n${main1000.length}-doh`, main1000, 64)), against: `c64-n${N_MAIN}-doh` });
    runs.push(await runProbe(world, `c64-n${N_MAX}`, all, 64));
    analyze = await runAnalyze(world, join(world.lab.dir, `c64-n${N_MAIN}.jsonl`));
  } finally {
    await world.lab.stop();
  }

  const byName = (n: string): RunResult | undefined => runs.find((r) => r.name === n);
  const c64 = byName(`c64-n${N_MAIN}`);
  const big = byName(`c64-n${N_MAX}`);
  const base64 = baselines.find((b) => b.against === `c64-n${N_MAIN}`);
  const checks: Check[] = [];
  /** Extra lines printed after the baseline table. */
  const o2: string[] = [];
  if (c64) checks.push({ target: `throughput at c=64, N=${N_MAIN} >= ${TARGETS.throughputC64} targets/s`, measured: `${c64.targetsPerS} targets/s`, pass: c64.targetsPerS >= TARGETS.throughputC64 });
  const peak = Math.max(...runs.map((r) => r.peakRssMb));
  checks.push({ target: `peak RSS <= ${TARGETS.rssMb} MB (every run)`, measured: `${peak} MB`, pass: peak <= TARGETS.rssMb });
  if (c64 && big) {
    const growth = big.peakRssMb / c64.peakRssMb - 1;
    checks.push({ target: `RSS at N=${N_MAX} within ${TARGETS.rssGrowth * 100}% of N=${N_MAIN}`, measured: `${big.peakRssMb} vs ${c64.peakRssMb} MB (${(growth * 100).toFixed(1)}%)`, pass: growth <= TARGETS.rssGrowth });
  }
  if (c64) {
    for (const [label, l] of Object.entries(c64.latency)) {
      if (l.stepTimeoutS === null || label === 'down') continue;
      const bound = l.stepTimeoutS * (1 + TARGETS.p95Slack);
      checks.push({ target: `p95 time-to-verdict '${label}' <= step timeout ${l.stepTimeoutS} s + 10%`, measured: `${l.p95S} s (c=64)`, pass: l.p95S <= bound });
    }
  }
  if (analyze) checks.push({ target: `analyze >= ${TARGETS.analyzePerS} measurements/s`, measured: `${analyze.measurementsPerS}/s (${analyze.tool})`, pass: analyze.measurementsPerS >= TARGETS.analyzePerS });
  checks.push({ target: `start-up <= ${TARGETS.startupMs} ms`, measured: `${startup.medianMs} ms (median)`, pass: startup.medianMs <= TARGETS.startupMs });
  const alone = byName(`c64-n${N_MAIN}-nocontrol`);
  const base64again = baselines.find((b) => b.against === `c64-n${N_MAIN}-nocontrol`);
  if (alone && base64again) {
    // The issue's target, like for like: neither side measures a control.
    const ratio = alone.targetsPerS / base64again.targetsPerS;
    checks.push({ target: `>= ${TARGETS.baselineRatio}x the dig+curl loop at c=64 (probe alone, no control, like the loop)`, measured: `${ratio.toFixed(2)}x (${alone.targetsPerS} vs ${base64again.targetsPerS} targets/s)`, pass: ratio >= TARGETS.baselineRatio });
  }
  const doh = byName(`c64-n${N_MAIN}-doh`);
  if (doh) {
    checks.push({ target: `default path (DoH, no helper) at c=64: CPU <= ${TARGETS.defaultPathCpuS} s/target`, measured: `${doh.probeCpuSPerTarget} s/target`, pass: doh.probeCpuSPerTarget <= TARGETS.defaultPathCpuS });
    checks.push({ target: `default path (DoH, no helper) at c=64: peak RSS <= ${TARGETS.rssMb} MB`, measured: `${doh.peakRssMb} MB`, pass: doh.peakRssMb <= TARGETS.rssMb });
    const b = baselines.find((x) => x.against === doh.name);
    if (b) o2.push(`   default path (DoH control, no helper) vs dig+curl at c=64: ${(doh.targetsPerS / b.targetsPerS).toFixed(2)}x (${doh.targetsPerS} vs ${b.targetsPerS} targets/s)`);
  }
  if (c64) {
    o2.push(`   CPU s/target of the measuring process: with the helper ${c64.probeCpuSPerTarget}${doh ? `, default path (DoH) ${doh.probeCpuSPerTarget}` : ''}`);
  }
  if (c64 && base64) {
    // Information: the whole job (every target also measured by the helper on the same 2 cores).
    const ratio = c64.targetsPerS / base64.targetsPerS;
    o2.push(`   whole job incl. the helper's control on the same machine vs dig+curl at c=64: ${ratio.toFixed(2)}x (${c64.targetsPerS} vs ${base64.targetsPerS} targets/s)`);
  }

  const o: string[] = [];
  o.push('');
  o.push(`censorprobe bench  ${startedAt.toISOString()}  node ${process.version}  websites: ${WEB_SERVERS === 'nginx' ? (NGINX_VERSION ?? 'nginx') : 'node (bench/world-extra.ts)'}  ${QUICK ? '(BENCH_QUICK: small N, targets not meaningful)' : ''}`);
  o.push(`step timeouts: dns ${TIMEOUTS.dnsMs} ms, connect ${TIMEOUTS.connectMs} ms, tls ${TIMEOUTS.tlsMs} ms, http ${TIMEOUTS.httpMs} ms, control ${TIMEOUTS.controlMs} ms`);
  o.push('');
  o.push('1. run (censorprobe run in the probe namespace, helper in the world)');
  o.push('   CPU s/target: probe = the censorprobe run process; lab = helper + world + bench servers; machine = every process on the');
  o.push(`   machine (other work included). ceiling = ${CORES} cores / (probe + lab CPU s/target): the rate if the bench had the machine to itself.`);
  o.push(`   ${pad('run', 14)}${pad('targets/s', 11)}${pad('probe', 8)}${pad('lab', 8)}${pad('machine', 9)}${pad('ceiling', 9)}${pad('peak RSS MB', 13)}${pad('live heap MB', 14)}verdicts as planned`);
  for (const r of runs) {
    o.push(
      `   ${pad(r.name, 14)}${pad(String(r.targetsPerS), 11)}${pad(String(r.probeCpuSPerTarget), 8)}${pad(String(labCpu(r)), 8)}${pad(String(r.machineCpuSPerTarget), 9)}${pad(String(ceiling(r)), 9)}${pad(String(r.peakRssMb), 13)}${pad(String(r.liveHeapMbAtExit ?? '-'), 14)}${r.correct}/${r.n}`,
    );
  }
  o.push('   dig + curl loop (xargs -P C right after the run above: same list, same world; no control, no classification):');
  for (const b of baselines) {
    const ours = runs.find((r) => r.name === b.against);
    o.push(`   ${pad(`c${b.concurrency}-n${b.n}`, 14)}${pad(String(b.targetsPerS), 11)}${pad('', 16)}${pad(String(b.machineCpuSPerTarget), 9)}${pad('', 36)}ours/baseline ${ours ? (ours.targetsPerS / b.targetsPerS).toFixed(2) : '-'}x (vs ${b.against ?? '-'})`);
  }
  for (const r of runs) if (r.repeatsPerS !== undefined && r.repeatsPerS.length > 1) o.push(`   ${r.name}: median of ${r.repeatsPerS.length} runs (targets/s: ${r.repeatsPerS.join(', ')})`);
  for (const b of baselines) if (b.repeatRatios !== undefined && b.repeatRatios.length > 1) o.push(`   ours/baseline vs ${b.against}: median pair of ${b.repeatRatios.length} (ratios: ${b.repeatRatios.join(', ')})`);
  o.push(...o2);
  if (c64) {
    o.push('');
    o.push(`2. time-to-verdict (test_runtime) at c=64, N=${N_MAIN}`);
    o.push(`   ${pad('verdict', 16)}${pad('count', 7)}${pad('p50 s', 9)}${pad('p95 s', 9)}step timeout s`);
    for (const [label, l] of Object.entries(c64.latency)) {
      o.push(`   ${pad(label, 16)}${pad(String(l.count), 7)}${pad(String(l.p50S), 9)}${pad(String(l.p95S), 9)}${l.stepTimeoutS ?? '-'}`);
    }
  }
  if (analyze) {
    o.push('');
    o.push(`4. analyze: ${analyze.measurements} measurements (${analyze.fileMb} MB) in ${analyze.wallS} s = ${analyze.measurementsPerS}/s, peak RSS ${analyze.peakRssMb} MB (${analyze.tool})`);
    if (analyze.repeatsPerS !== undefined && analyze.repeatsPerS.length > 1) o.push(`   median of ${analyze.repeatsPerS.length} runs (measurements/s: ${analyze.repeatsPerS.join(', ')})`);
  }
  o.push(`5. start-up: censorprobe --version median ${startup.medianMs} ms, min ${startup.minMs} ms (10 runs)`);
  o.push('');
  o.push('targets');
  for (const c of checks) o.push(`   ${c.pass ? 'PASS' : 'FAIL'}  ${pad(c.target, 58)}${c.measured}`);
  o.push('');
  process.stdout.write(o.join('\n') + '\n');

  const results = { startedAt: startedAt.toISOString(), node: process.version, webServers: WEB_SERVERS === 'nginx' ? (NGINX_VERSION ?? 'nginx') : 'node', quick: QUICK, timeoutsMs: TIMEOUTS, targets: TARGETS, startup, runs, baselines, analyze, checks };
  writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify(results, null, 2) + '\n');
  log('wrote bench/results.json');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
