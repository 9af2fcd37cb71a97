/**
 * lab: builds and tears down one lab: two network namespaces (world and probe) joined by a veth
 * pair, the world's public-looking addresses on the world's `lo`, the censor's nftables table, the
 * world process (resolvers, web servers, DPI middlebox) and a per-lab CA.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ipaddr from 'ipaddr.js';
import { createLabCa, issueLeaf } from './lab-ca.js';
import { makePublicServicesTls, type PublicServicesTls } from './public-services.js';
import type { MiddleboxPort, MiddleboxRule } from './middlebox.js';
import { mustRun, runCommand, runSync, type CommandResult, type RunOptions } from './netns.js';
import { NFT_TABLE, renderRuleset, type DpiRedirect } from './nft-ruleset.js';
import type { DnsChanges, DnsRule, NftRule, Scenario } from './scenario.js';
import {
  BADSSL_EXPIRED_WINDOW,
  CERT_NAMES,
  CLEAN_RESOLVER,
  createDefaultDnsTable,
  HELPER_ADDRESS,
  HOSTILE_TLS_NAMES,
  ISP_RESOLVER,
  PUBLIC_RESOLVERS,
  WORLD_ADDRESSES,
  type DnsTable,
} from './world-hosts.js';
import type { TlsMaterial, WorldReady, WorldSpec } from './world-spec.js';

/** How long startLab waits for the world's ready line, ms. */
export const WORLD_READY_TIMEOUT_MS = 20_000;
/** First middlebox port on the world side of the veth; DPI destination i uses this + i. */
export const MIDDLEBOX_BASE_PORT = 20_000;

/** ExecOptions: `timeoutMs` (default 30000, then SIGKILL) and `input` for stdin (default none). */
export type ExecOptions = RunOptions;

/** ExecResult: `code` (null if killed by a signal or the timeout), stdout and stderr text, `timedOut`. */
export type ExecResult = CommandResult;

/** Lab: a running lab. Every method is safe to call after stop() (commands then fail with exit codes). */
export interface Lab {
  /** Unique id of this lab (namespace and interface names derive from it). */
  id: string;
  /** The world namespace (servers, censor, helper). */
  worldNs: string;
  /** The probe namespace (where `censorprobe run` runs). */
  probeNs: string;
  /** The probe's address on its veth (its source address as servers see it). */
  probeAddress: string;
  /** The world's address on the veth (the probe's gateway; the middlebox listens here). */
  worldAddress: string;
  /** PEM file of the lab CA, for `--ca-file`. */
  caFile: string;
  /** The censored ISP resolver (the probe's system resolver). */
  ispResolver: '130.192.3.21';
  /** The clean resolver (global table), for the helper. */
  cleanResolver: '193.0.14.129';
  /** Where the helper listens (0.th.ooni.org). */
  helperAddress: '68.183.70.80';
  /** The lab's temporary directory (deleted by stop()). */
  dir: string;
  /** execInProbe runs `cmd` inside the probe namespace (system resolver = ISP resolver) and collects its output. */
  execInProbe(cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** execInWorld runs `cmd` inside the world namespace (uncensored) and collects its output. */
  execInWorld(cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * spawnInWorld starts a long-running `cmd` in the world namespace (e.g. the helper); its stdout
   * and stderr are flowing pipes (attach listeners right away); stop() kills it.
   */
  spawnInWorld(cmd: string[]): ChildProcess;
  /** stop kills children, deletes the namespaces, the nft table, /etc/netns/<probe> and the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** LabError: the lab could not be built or started; the message says what is missing or what failed. */
export class LabError extends Error {
  readonly code = 'ERR_PROBE_LAB';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LabError';
  }
}

/** LabSupport: whether this machine can build a lab, and why not. */
export type LabSupport = { ok: true } | { ok: false; reason: string };

let supportCache: LabSupport | undefined;

/**
 * checkLabSupport says whether a lab can be built here: Linux, root, `ip` and `nft` present, and a
 * network namespace can be created and deleted. Synchronous; cached after the first success.
 */
export function checkLabSupport(): LabSupport {
  if (supportCache?.ok) return supportCache;
  const result = probeSupport();
  if (result.ok) supportCache = result;
  return result;
}

function probeSupport(): LabSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `the lab needs Linux network namespaces (platform is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the lab needs root (to create network namespaces and nftables rules)' };
  for (const [tool, arg] of [
    ['ip', '-V'],
    ['nft', '--version'],
  ] as const) {
    const r = spawnSync(tool, [arg], { stdio: 'ignore' });
    if (r.error || r.status !== 0) return { ok: false, reason: `'${tool}' is not installed or does not run (${r.error?.message ?? `exit ${r.status}`})` };
  }
  const name = `cpchk-${process.pid.toString(36)}-${randomInt(1e6).toString(36)}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) return { ok: false, reason: `cannot create a network namespace: ${(add.stderr || add.error?.message || '').trim()}` };
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  return { ok: true };
}

let counter = 0;

function newLabId(): string {
  counter += 1;
  return `${process.pid.toString(36)}-${counter.toString(36)}${randomInt(36 * 36).toString(36).padStart(2, '0')}`;
}

/** Labs not yet stopped, for the process-exit cleanup. */
const active = new Map<string, () => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cleanup of active.values()) cleanup();
  });
}

/** Repository root: src/lab and dist/lab are both two levels below it. */
const HERE = dirname(fileURLToPath(import.meta.url));
/** PAGES_DIR: the byte-exact page bodies, `fixtures/pages/`. */
export const PAGES_DIR = resolve(HERE, '../../fixtures/pages');

/**
 * newestMtimeMs: the latest modification time (ms since the epoch) of any `.ts` file under `dir`,
 * recursively; 0 when there is none or it cannot be read. Never throws.
 */
function newestMtimeMs(dir: string): number {
  let newest = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!e.isFile() || !e.name.endsWith('.ts')) continue;
      newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
    }
  } catch {
    return 0;
  }
  return newest;
}

/**
 * worldEntry: how to start the world process. Compiled (`node dist/lab/world-main.js`) when this
 * module is compiled, and also when it runs from source (tests under vitest, `tsx`) but a build at
 * least as new as every file of src/ exists: tsx's start-up and transform cost about half a
 * CPU-second per lab, which adds up over a test suite of a hundred labs on a 2-core machine.
 * Otherwise from source (`node --import tsx src/lab/world-main.ts`), so an edit is never run stale.
 */
function worldEntry(): { args: string[]; cwd: string } {
  const root = resolve(HERE, '../..');
  if (!import.meta.url.endsWith('.ts')) return { args: [join(HERE, 'world-main.js')], cwd: root };
  const compiled = join(root, 'dist', 'lab', 'world-main.js');
  let builtAt = 0;
  try {
    builtAt = statSync(compiled).mtimeMs;
  } catch {
    /* not built */
  }
  if (builtAt > 0 && builtAt >= newestMtimeMs(join(root, 'src'))) return { args: [compiled], cwd: root };
  return { args: ['--import', 'tsx', join(HERE, 'world-main.ts')], cwd: root };
}

/** applyDnsChanges returns `table` with `changes` applied (a record replaces, null deletes); names are lower-cased. */
export function applyDnsChanges(table: DnsTable, changes: DnsChanges | undefined): DnsTable {
  const out: DnsTable = { ...table };
  for (const [name, record] of Object.entries(changes ?? {})) {
    const key = name.toLowerCase().replace(/\.$/, '');
    if (record === null) delete out[key];
    else out[key] = record;
  }
  return out;
}

/** worldIpv6Addresses lists, once each, the valid IPv6 addresses of every AAAA record in `tables` that can name a host (not loopback, unspecified, link-local or multicast). Pure. */
export function worldIpv6Addresses(...tables: DnsTable[]): string[] {
  const out = new Set<string>();
  for (const table of tables) {
    for (const record of Object.values(table)) {
      for (const addr of record.aaaa ?? []) {
        if (!ipaddr.IPv6.isValid(addr)) continue;
        // An answer that names no host of the world (`::1`, `::`, link-local, multicast: a bogon a
        // scenario hands out) gets no address: the kernel would refuse it, and the probe never dials it.
        const parsed = ipaddr.IPv6.parse(addr);
        if (['loopback', 'unspecified', 'linkLocal', 'multicast'].includes(parsed.range())) continue;
        out.add(parsed.toString());
      }
    }
  }
  return [...out];
}

/**
 * planMiddlebox groups the scenario's DPI rules by destination (in order of first appearance) and
 * gives each destination a middlebox port on `worldAddress`. Pure.
 */
export function planMiddlebox(scenario: Scenario, worldAddress: string): { ports: MiddleboxPort[]; redirects: DpiRedirect[] } {
  const byDst = new Map<string, MiddleboxPort>();
  for (const rule of scenario.censor) {
    if (rule.kind !== 'dpi') continue;
    const key = `${rule.dst.ip}:${rule.dst.port}`;
    let port = byDst.get(key);
    if (!port) {
      port = { address: worldAddress, port: MIDDLEBOX_BASE_PORT + byDst.size, dst: { ...rule.dst }, rules: [] };
      byDst.set(key, port);
    }
    const mr: MiddleboxRule = { match: rule.match, action: rule.action };
    port.rules.push(mr);
  }
  const ports = [...byDst.values()];
  return { ports, redirects: ports.map((p) => ({ dst: p.dst, to: { ip: p.address, port: p.port } })) };
}

async function makeTls(dir: string): Promise<{ caFile: string; tls: TlsMaterial; publicServices: PublicServicesTls }> {
  const ca = await createLabCa();
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert, { mode: 0o644 });
  const [publicServices, example, bitly, yandex, largefile, cloudflareCache, httpbin, badsslWrongHost, badsslExpired] = await Promise.all([
    makePublicServicesTls(ca),
    issueLeaf(ca, [...CERT_NAMES.example]),
    issueLeaf(ca, [...CERT_NAMES.bitly]),
    issueLeaf(ca, [...CERT_NAMES.yandex]),
    issueLeaf(ca, [...CERT_NAMES.largefile]),
    issueLeaf(ca, ['www.cloudflare-cache.com']),
    issueLeaf(ca, ['httpbin.com']),
    issueLeaf(ca, [...CERT_NAMES.badsslWrongHost]),
    issueLeaf(ca, [...CERT_NAMES.badsslExpired], BADSSL_EXPIRED_WINDOW),
  ]);
  // The helper may want a certificate for 0.th.ooni.org if it serves HTTPS; keep one beside the CA.
  const th = await issueLeaf(ca, [...CERT_NAMES.testHelper]);
  const hostile = await issueLeaf(ca, [...HOSTILE_TLS_NAMES]);
  writeFileSync(join(dir, 'th-cert.pem'), th.cert);
  writeFileSync(join(dir, 'th-key.pem'), th.key, { mode: 0o600 });
  return {
    caFile,
    publicServices,
    tls: { example, bitly, yandex, largefile, cloudflareCache, httpbin, badsslWrongHost, badsslExpired, hostile } as TlsMaterial,
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<WorldReady> {
  return new Promise((resolvePromise, reject) => {
    let out = '';
    let err = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      reject(new LabError(`lab world process ${why}; stderr: ${err.trim().split('\n').slice(0, 8).join(' | ') || '(empty)'}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      try {
        const ready = JSON.parse(out.slice(0, nl)) as WorldReady;
        if (ready.event === 'ready') {
          clearTimeout(timer);
          resolvePromise(ready);
          return;
        }
      } catch {
        /* fall through */
      }
      fail(`printed an unexpected line: ${out.slice(0, nl)}`);
    });
    child.on('error', (e) => fail(`could not start (${e.message})`));
    child.on('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
  });
}

function killAndWait(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const give = setTimeout(res, graceMs + 1000);
    child.once('exit', () => {
      clearTimeout(hard);
      clearTimeout(give);
      res();
    });
    child.kill('SIGTERM');
  });
}

/** killNamespacePids SIGKILLs every process running in network namespace `name` (`ip netns pids`). Never throws. */
function killNamespacePids(name: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' });
  for (const p of (pids.stdout ?? '').split('\n').filter(Boolean)) {
    if (Number(p) === process.pid) continue;
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * cleanupStaleLabs deletes lab namespaces (`cpw-<pid>-…`, `cpp-<pid>-…`) left by processes that no
 * longer exist (a crashed or SIGKILLed test run), killing whatever still runs inside them, their
 * /etc/netns entries and their temp dirs under os.tmpdir(). Returns the names deleted. Never throws.
 */
export function cleanupStaleLabs(): string[] {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const deleted: string[] = [];
  for (const line of (list.stdout ?? '').split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^cp[wp]-([0-9a-z]+)-[0-9a-z]+$/.exec(name);
    if (!m) continue;
    const pid = parseInt(m[1] ?? '', 36);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (alive) continue;
    killNamespacePids(name);
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    const id = name.slice('cpw-'.length);
    try {
      for (const entry of readdirSync(tmpdir())) {
        if (entry.startsWith(`censorprobe-lab-${id}-`)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
      }
    } catch {
      /* no temp dir to clean */
    }
    deleted.push(name);
  }
  return deleted;
}

/** StartLabOptions: `tmpDir`, the parent of the lab's temp dir (default os.tmpdir()). */
export interface StartLabOptions {
  tmpDir?: string;
}

/**
 * startLab builds the lab for `scenario` and resolves once every world server listens.
 * Throws a LabError (code ERR_PROBE_LAB) naming what is missing when the machine cannot host a lab (see
 * checkLabSupport), or what failed (an `ip`/`nft` command with its stderr, or the world process
 * with its stderr); on failure everything built so far is torn down.
 */
export async function startLab(scenario: Scenario, opts: StartLabOptions = {}): Promise<Lab> {
  const support = checkLabSupport();
  if (!support.ok) throw new LabError(`cannot build the censorprobe lab: ${support.reason}`);
  cleanupStaleLabs();

  const id = newLabId();
  const worldNs = `cpw-${id}`;
  const probeNs = `cpp-${id}`;
  const worldIf = `cpv${id.replace('-', '')}w`;
  const probeIf = `cpv${id.replace('-', '')}p`;
  const a = 200 + randomInt(50);
  const b = randomInt(256);
  const worldAddress = `10.${a}.${b}.1`;
  const probeAddress = `10.${a}.${b}.2`;
  const base = opts.tmpDir ?? tmpdir();
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `censorprobe-lab-${id}-`));
  const netnsEtc = `/etc/netns/${probeNs}`;

  const children = new Set<ChildProcess>();
  let world: ChildProcess | undefined;

  const cleanupSync = (): void => {
    for (const c of [...children, ...(world ? [world] : [])]) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
    killNamespacePids(probeNs);
    killNamespacePids(worldNs);
    runSync(['ip', 'netns', 'exec', worldNs, 'nft', 'delete', 'table', 'inet', NFT_TABLE]);
    runSync(['ip', 'netns', 'del', worldNs]);
    runSync(['ip', 'netns', 'del', probeNs]);
    rmSync(netnsEtc, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  installExitHook();
  active.set(id, cleanupSync);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await Promise.all([...children].map((c) => killAndWait(c, 1000)));
      if (world) await killAndWait(world, 1000);
      // Whatever still runs inside (a probe started by execInProbe, a user's `lab exec` command).
      killNamespacePids(probeNs);
      killNamespacePids(worldNs);
      await runCommand(['ip', 'netns', 'exec', worldNs, 'nft', 'delete', 'table', 'inet', NFT_TABLE], { timeoutMs: 5000 });
      await runCommand(['ip', 'netns', 'del', worldNs], { timeoutMs: 5000 });
      await runCommand(['ip', 'netns', 'del', probeNs], { timeoutMs: 5000 });
      rmSync(netnsEtc, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
      active.delete(id);
    })();
    return stopping;
  };

  // Started early (key generation is the slow part); on a failed start it must settle before the
  // temp dir it writes into is removed, and its own failure must not go unhandled.
  const tlsPromise = makeTls(dir);
  tlsPromise.catch(() => undefined);
  try {
    await mustRun(['ip', '-batch', '-'], {
      input: [
        `netns add ${worldNs}`,
        `netns add ${probeNs}`,
        `link add ${worldIf} type veth peer name ${probeIf}`,
        `link set ${worldIf} netns ${worldNs}`,
        `link set ${probeIf} netns ${probeNs}`,
        '',
      ].join('\n'),
    });
    const ispTable = applyDnsChanges(applyDnsChanges(createDefaultDnsTable(), scenario.world?.dns?.global), scenario.world?.dns?.isp);
    const globalTable = applyDnsChanges(createDefaultDnsTable(), scenario.world?.dns?.global);
    await mustRun(['ip', '-n', worldNs, '-batch', '-'], {
      input: [
        'link set lo up',
        ...WORLD_ADDRESSES.map((addr) => `addr add ${addr}/32 dev lo`),
        // IPv6 addresses named by AAAA records live on the world's lo too (the probe has no IPv6 route).
        ...worldIpv6Addresses(globalTable, ispTable).map((addr) => `addr add ${addr}/128 dev lo nodad`),
        `addr add ${worldAddress}/30 dev ${worldIf}`,
        `link set ${worldIf} up`,
        '',
      ].join('\n'),
    });
    await mustRun(['ip', '-n', probeNs, '-batch', '-'], {
      input: ['link set lo up', `addr add ${probeAddress}/30 dev ${probeIf}`, `link set ${probeIf} up`, `route add default via ${worldAddress}`, ''].join('\n'),
    });
    mkdirSync(netnsEtc, { recursive: true });
    writeFileSync(join(netnsEtc, 'resolv.conf'), `# censorprobe lab ${id}: the probe's system resolver is the ISP resolver\nnameserver ${ISP_RESOLVER}\n`);

    const { ports, redirects } = planMiddlebox(scenario, worldAddress);
    const nftRules = scenario.censor.filter((r): r is NftRule => r.kind === 'nft');
    await mustRun(['ip', 'netns', 'exec', worldNs, 'nft', '-f', '-'], { input: renderRuleset(worldIf, nftRules, redirects, { resolver: CLEAN_RESOLVER, exempt: [ISP_RESOLVER, CLEAN_RESOLVER, ...PUBLIC_RESOLVERS] }),
    });

    const { tls, publicServices } = await tlsPromise;
    const spec: WorldSpec = {
      labId: id,
      probeAddress,
      pagesDir: PAGES_DIR,
      tls,
      dns: {
        // The ISP table follows the real world (global changes) unless the ISP overrides a name.
        isp: ispTable,
        global: globalTable,
        censor: scenario.censor.filter((r): r is DnsRule => r.kind === 'dns'),
      },
      middlebox: ports,
      publicServices,
    };
    const specFile = join(dir, 'world-spec.json');
    writeFileSync(specFile, JSON.stringify(spec), { mode: 0o600 });

    const entry = worldEntry();
    world = spawn('ip', ['netns', 'exec', worldNs, process.execPath, ...entry.args, specFile], {
      cwd: entry.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await waitForReady(world, WORLD_READY_TIMEOUT_MS);
  } catch (err) {
    await tlsPromise.catch(() => undefined);
    await stop();
    throw err instanceof LabError ? err : new LabError(`cannot start the censorprobe lab: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  const exec = (ns: string) => (cmd: string[], o?: ExecOptions) => {
    if (cmd.length === 0) throw new Error('exec: empty command');
    return runCommand(['ip', 'netns', 'exec', ns, ...cmd], o);
  };
  return {
    id,
    worldNs,
    probeNs,
    probeAddress,
    worldAddress,
    caFile: join(dir, 'ca.pem'),
    ispResolver: ISP_RESOLVER,
    cleanResolver: CLEAN_RESOLVER,
    helperAddress: HELPER_ADDRESS,
    dir,
    execInProbe: exec(probeNs),
    execInWorld: exec(worldNs),
    spawnInWorld(cmd) {
      if (cmd.length === 0) throw new Error('spawnInWorld: empty command');
      const child = spawn('ip', ['netns', 'exec', worldNs, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
      // Flowing from the start so a chatty child never blocks on a full pipe; listeners added
      // in the caller's tick still see every chunk.
      child.stdout?.resume();
      child.stderr?.resume();
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    stop,
  };
}

/** listLabNamespaces returns the names of every lab namespace currently present (for tests and cleanup). */
export function listLabNamespaces(): string[] {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (list.stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => /^cp[wp]-/.test(n));
}

