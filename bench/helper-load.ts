/**
 * `npm run bench:helper`: a bounded load test of `censorprobe helper` on loopback (nothing leaves
 * 127.0.0.0/8). Prints requests/s, p99 latency, errors and timeouts per phase, and the helper's
 * memory, as a table; exit 0 when it ran, 1 when a property failed (a timeout, a crash, or
 * memory over the bound), so it can gate a release.
 *
 * Setup: the built CLI's helper (`node bin/censorprobe.js helper`) in a child process, with a
 * small in-flight cap and a loopback DNS server that answers NXDOMAIN after 200 ms, so every
 * measurement request holds a slot for ~200 ms and load beyond the cap is answered 503 (the
 * helper never dials anything: the name does not exist). Phases (autocannon, 5 s each):
 * 1. health GETs, 50 connections;
 * 2. measurement POSTs, 60 connections against `--max-in-flight 25`: 200s and 503s, no timeout;
 *    then 100 connections from one address (per-client cap 64: the extra ones get 503 and
 *    `connection: close`, which autocannon counts as errors when it had pipelined a request);
 * 3. health GETs DURING an attack: 300 slowloris sockets (a header byte every second), 25
 *    slow-body clients (a body byte every second) and 5000 idle connections, all from other
 *    loopback addresses;
 * 4. health GETs after the attack.
 * The helper's peak RSS (VmHWM) is read from /proc after the run. Sources for the caps:
 * src/control/limits.ts; docs/lab.md "Helper limits".
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import dnsPacket from 'dns-packet';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin', 'censorprobe.js');
const PHASE_S = Number(process.env['BENCH_HELPER_SECONDS'] ?? 5);
/** Peak RSS bound for the helper under this load, KiB. */
const MAX_RSS_KB = 400 * 1024;

interface Row {
  phase: string;
  rps: number;
  p99: number;
  ok: number;
  s503: number;
  other: number;
  errors: number;
  timeouts: number;
}

async function slowDns(): Promise<{ port: number; close: () => void }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const out = dnsPacket.encode({ type: 'response', id: q.id ?? 0, flags: dnsPacket.RECURSION_AVAILABLE | 3, questions: q.questions ?? [] });
    setTimeout(() => sock.send(out, rinfo.port, rinfo.address), 200);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, close: () => sock.close() };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function load(phase: string, opts: autocannon.Options): Promise<Row> {
  const r = await autocannon({ duration: PHASE_S, timeout: 10, ...opts });
  const codes = (r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
  const count = (c: string): number => codes[c]?.count ?? 0;
  const all = Object.values(codes).reduce((a, b) => a + b.count, 0);
  return { phase, rps: Math.round(r.requests.average), p99: r.latency.p99, ok: count('200') + count('400'), s503: count('503'), other: all - count('200') - count('400') - count('503'), errors: r.errors, timeouts: r.timeouts };
}

/** attack opens the slowloris, slow-body and idle sockets; returns a stop function. */
async function attack(port: number): Promise<() => void> {
  const sockets: net.Socket[] = [];
  const open = (from: string): Promise<net.Socket | null> =>
    new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port, localAddress: from }, () => resolve(s));
      s.on('error', () => resolve(null));
      sockets.push(s);
    });
  for (let i = 0; i < 300; i++) void open(`127.0.2.${1 + (i % 250)}`).then((s) => s?.write('GET / HTTP/1.1\r\nX-slow: '));
  for (let i = 0; i < 25; i++) void open('127.0.3.1').then((s) => s?.write('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n{'));
  for (let i = 0; i < 5000; i++) void open(`127.0.4.${1 + (i % 250)}`);
  const drip = setInterval(() => {
    for (const s of sockets) if (s.writable && s.bytesWritten > 0) s.write('a');
  }, 1000);
  return () => {
    clearInterval(drip);
    for (const s of sockets) s.destroy();
  };
}

async function main(): Promise<number> {
  const dns = await slowDns();
  const port = await freePort();
  const helper = spawn(process.execPath, [CLI, 'helper', '--listen', `127.0.0.1:${port}`, '--resolver', `udp://127.0.0.1:${dns.port}`, '--max-in-flight', '25'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    helper.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
    helper.once('exit', (c) => reject(new Error(`helper exited ${c}`)));
  });
  const url = `http://127.0.0.1:${port}/`;
  const body = JSON.stringify({ http_request: 'http://www.does-not-exist.example/', http_request_headers: {}, tcp_connect: [] });
  const rows: Row[] = [];
  rows.push(await load('health GET, 50 conns', { url, connections: 50 }));
  const post = { method: 'POST' as const, body, headers: { 'content-type': 'application/json' } };
  rows.push(await load('measure POST, 60 conns, in-flight cap 25', { url, connections: 60, ...post }));
  rows.push(await load('measure POST, 100 conns, per-client cap 64', { url, connections: 100, ...post }));
  const stop = await attack(port);
  rows.push(await load('health GET during attack', { url, connections: 50 }));
  stop();
  rows.push(await load('health GET after attack', { url, connections: 50 }));
  const status = readFileSync(`/proc/${helper.pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  const alive = helper.exitCode === null;
  helper.kill('SIGTERM');
  dns.close();

  const head = ['phase', 'req/s', 'p99 ms', '2xx/4xx', '503', 'other', 'errors', 'timeouts'];
  const lines = rows.map((r) => [r.phase, r.rps, r.p99, r.ok, r.s503, r.other, r.errors, r.timeouts].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  process.stdout.write(`${fmt(head)}\n${lines.map(fmt).join('\n')}\n`);
  process.stdout.write(`helper peak RSS ${Math.round(hwm / 1024)} MiB (bound ${MAX_RSS_KB / 1024} MiB); still running after the attack: ${alive}\n`);

  const problems: string[] = [];
  for (const r of rows) if (r.timeouts > 0) problems.push(`${r.phase}: ${r.timeouts} timeouts`);
  if ((rows[1]?.s503 ?? 0) === 0) problems.push('no 503 beyond the in-flight cap');
  if ((rows[3]?.ok ?? 0) === 0 || (rows[4]?.ok ?? 0) === 0) problems.push('no health answer during or after the attack');
  if (!alive) problems.push('the helper died');
  if (hwm > MAX_RSS_KB) problems.push(`peak RSS ${hwm} KiB over ${MAX_RSS_KB} KiB`);
  for (const p of problems) process.stdout.write(`FAIL ${p}\n`);
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:helper: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
