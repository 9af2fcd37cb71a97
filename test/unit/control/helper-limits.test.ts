/**
 * The helper's server-level limits on loopback (src/control/limits.ts): beyond every cap it
 * answers (413, 408, 503) instead of letting clients time out, and it keeps serving other clients
 * during and after slowloris, slow-body, endless-body and idle-connection attacks. Attackers use
 * 127.0.0.2..4, the well-behaved client 127.0.0.1 (per-client caps are per source address).
 * Margins are generous: answers are awaited with event-driven helpers, the only bounds are
 * "well before the attack would have ended".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHelperServer, type HelperServer } from '../../../src/control/helper-server.js';
import { embeddedIpv4, isRefusedAddress } from '../../../src/control/address-guard.js';
import { parseStrictBytes } from '../../../src/control/limits.js';
import { httpRoundTrip } from '../../../src/net/http.js';
import { createClock, tcpConnect } from '../../../src/net/index.js';
import { startHttpServer, type Running } from '../net/support/servers.js';

let server: HelperServer;
let port = 0;
const open: net.Socket[] = [];

beforeAll(async () => {
  server = createHelperServer({
    resolver: { kind: 'udp', ip: '127.0.0.1', port: 9 },
    timeouts: { dnsMs: 500, connectMs: 500, tlsMs: 500, httpMs: 500 },
    maxBodyBytes: 1024,
    maxRedirects: 2,
    maxInFlight: 2,
    software: 'censorprobe/test',
    limits: { maxConnections: 300, maxConnectionsPerClient: 30, maxRequestBytes: 64 * 1024, bodyReadMs: 1500, headersTimeoutMs: 1500, requestTimeoutMs: 3000 },
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', () => resolve()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of open) s.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Opens a raw connection from `from`; resolves once connected. */
function connect(from: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: from }, () => resolve(s));
    s.on('error', reject);
    open.push(s);
  });
}

/** Sends `raw` on a new connection from `from` and resolves with the status code of the answer (0: closed without one). */
async function exchange(from: string, raw: string | Buffer): Promise<{ status: number; ms: number }> {
  const t0 = Date.now();
  const s = await connect(from);
  s.on('error', () => undefined);
  return new Promise((resolve) => {
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (m) {
        resolve({ status: Number(m[1]), ms: Date.now() - t0 });
        s.destroy();
      }
    });
    s.on('close', () => resolve({ status: 0, ms: Date.now() - t0 }));
    s.write(raw);
  });
}

const health = (from = '127.0.0.1'): Promise<{ status: number; ms: number }> => exchange(from, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n');
const postHead = (len: number | 'chunked'): string =>
  `POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n${len === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${len}`}\r\n\r\n`;

describe('helper limits', () => {
  it('answers 413 at once to a declared body over the cap, before any body byte', async () => {
    const r = await exchange('127.0.0.1', postHead(10 * 1024 * 1024));
    expect(r.status).toBe(413);
  });

  it('answers 413 to an endless chunked body as soon as it passes the cap, and keeps serving', async () => {
    const s = await connect('127.0.0.2');
    s.on('error', () => undefined);
    const status = new Promise<number>((resolve) => {
      s.on('data', (d: Buffer) => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1] ?? 0)));
      s.on('close', () => resolve(0));
    });
    s.write(postHead('chunked'));
    const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n`;
    let stop = false;
    const pump = (): void => {
      while (!stop && s.write(chunk));
      if (!stop) s.once('drain', pump);
    };
    pump();
    const got = await status;
    stop = true;
    expect([413, 0]).toContain(got); // 413, or reset while we were still writing
    expect((await health()).status).toBe(200);
  });

  it('25 one-byte-per-second bodies hold no measurement slot: others are served, the slow ones get 408', async () => {
    const slow = await Promise.all(Array.from({ length: 25 }, () => connect('127.0.0.3')));
    const answers = slow.map(
      (s) =>
        new Promise<number>((resolve) => {
          s.on('error', () => undefined);
          s.on('data', (d: Buffer) => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1] ?? 0)));
          s.on('close', () => resolve(0));
        }),
    );
    for (const s of slow) s.write(postHead(1000) + '{');
    const drip = setInterval(() => slow.forEach((s) => s.writable && s.write(' ')), 1000);
    try {
      // While they drip: a real measurement request from someone else is answered (400 here: a bogon target).
      const r = await exchange('127.0.0.1', postHead(40) + JSON.stringify({ http_request: 'http://10.0.0.1/' }).padEnd(40));
      expect(r.status).toBe(400);
      expect((await health()).status).toBe(200);
      const codes = await Promise.all(answers);
      expect(codes.every((c) => c === 408)).toBe(true);
    } finally {
      clearInterval(drip);
    }
  });

  it('slowloris headers do not starve anyone, and expire', async () => {
    const slow = await Promise.all(Array.from({ length: 20 }, () => connect('127.0.0.4')));
    const closed = slow.map((s) => new Promise<void>((resolve) => s.on('close', () => resolve())));
    for (const s of slow) {
      s.on('error', () => undefined);
      s.write('GET / HTTP/1.1\r\nX-a: ');
    }
    const drip = setInterval(() => slow.forEach((s) => s.writable && s.write('a')), 500);
    try {
      expect((await health()).status).toBe(200);
      await Promise.all(closed); // headersTimeout ends them
    } finally {
      clearInterval(drip);
    }
    expect((await health()).status).toBe(200);
  });

  it('beyond the per-client cap with every connection busy: 503, not a timeout', async () => {
    const busy = await Promise.all(Array.from({ length: 30 }, () => connect('127.0.0.2')));
    for (const s of busy) {
      s.on('error', () => undefined);
      s.write(postHead(100) + '{'); // a request in progress (body pending) = busy
    }
    // Let the server see the 30 requests: an event-driven wait on its counters.
    while (server.stats().connections < 30) await new Promise((r) => setTimeout(r, 20));
    const r = await health('127.0.0.2');
    expect(r.status).toBe(503);
    expect((await health('127.0.0.1')).status).toBe(200);
    for (const s of busy) s.destroy();
  });

  it('thousands of idle connections are evicted oldest first: a new client is still served', async () => {
    const idle: net.Socket[] = [];
    for (let i = 0; i < 1200; i++) idle.push(await connect(`127.0.1.${1 + (i % 200)}`).catch(() => new net.Socket()));
    for (const s of idle) s.on('error', () => undefined);
    expect((await health()).status).toBe(200);
    expect(server.stats().connections).toBeLessThanOrEqual(300);
    expect(server.stats().evicted).toBeGreaterThan(0);
    for (const s of idle) s.destroy();
  });

  it('the reference stream counts in flight: beyond maxInFlight a 503 at once', async () => {
    // Two streams that the client never reads hold both slots (16 MiB cannot fit socket buffers).
    const a = await connect('127.0.0.1');
    const b = await connect('127.0.0.1');
    for (const s of [a, b]) {
      s.pause();
      s.write('GET /x/reference-stream?bytes=16777216 HTTP/1.1\r\nHost: h\r\n\r\n');
    }
    while (server.stats().inFlight < 2) await new Promise((r) => setTimeout(r, 20));
    expect((await exchange('127.0.0.1', 'GET /x/reference-stream?bytes=10 HTTP/1.1\r\nHost: h\r\n\r\n')).status).toBe(503);
    a.destroy();
    b.destroy();
    while (server.stats().inFlight > 0) await new Promise((r) => setTimeout(r, 20));
    expect((await exchange('127.0.0.1', 'GET /x/reference-stream?bytes=10 HTTP/1.1\r\nHost: h\r\n\r\n')).status).toBe(200);
  });

  it('the reference stream takes only a plain decimal byte count', () => {
    const p = (q: string): number | string => parseStrictBytes(new URLSearchParams(q), 7, 1000);
    expect(p('')).toBe(7);
    expect(p('bytes=10')).toBe(10);
    for (const bad of ['bytes=1e3', 'bytes=+5', 'bytes=0x10', 'bytes=1.0', 'bytes=%2010', 'bytes=0', 'bytes=010', 'bytes=1001', 'bytes=', 'bytes=1&bytes=2', 'bytes=5&x=1']) {
      expect(typeof p(bad), bad).toBe('string');
    }
  });

  it('refuses NAT64, 6to4 and Teredo forms of private IPv4 addresses', async () => {
    expect(embeddedIpv4('64:ff9b::7f00:1')).toEqual(['127.0.0.1']);
    expect(embeddedIpv4('2002:a00:1::1')).toEqual(['10.0.0.1']);
    expect(embeddedIpv4('2001:0:4136:e378:8000:63bf:80ff:fffe')).toEqual(['65.54.227.120', '127.0.0.1']);
    for (const ip of ['64:ff9b::7f00:1', '64:ff9b::a00:1', '64:ff9b:1::5db8:d822', '2002:7f00:1::1', '2001:0:4136:e378:8000:63bf:80ff:fffe', '::ffff:127.0.0.1']) {
      expect(isRefusedAddress(ip), ip).toBe(true);
    }
    for (const ip of ['64:ff9b::5db8:d822', '2002:5db8:d822::1', '2606:4700::1111', '93.184.216.34']) expect(isRefusedAddress(ip), ip).toBe(false);
    const r = await exchange('127.0.0.1', ((b) => postHead(Buffer.byteLength(b)) + b)(JSON.stringify({ http_request: 'http://[64:ff9b::7f00:1]/' })));
    expect(r.status).toBe(400);
  });
});

describe('bounded body memory', () => {
  let web: Running;
  beforeAll(async () => {
    const block = Buffer.alloc(64 * 1024, 'a');
    web = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<title>big</title>');
      let left = 64; // 4 MiB
      const more = (): void => {
        while (left-- > 0) if (!res.write(block)) return void res.once('drain', more);
        res.end();
      };
      more();
    });
  });
  afterAll(async () => web.close());

  it('counts every body byte up to the cap but keeps only the retained prefix', async () => {
    const clock = createClock();
    const c = await tcpConnect('127.0.0.1', web.port, { clock, timeoutMs: 2000, transactionId: 1, depth: 0, tags: [] });
    const r = await httpRoundTrip(c.socket!, { url: `http://127.0.0.1:${web.port}/`, address: `127.0.0.1:${web.port}`, clock, transactionId: 1, depth: 0, maxBodyBytes: 2 * 1024 * 1024, retainBodyBytes: 1000, timeoutMs: 20_000 });
    expect(r.observation.failure).toBeNull();
    expect(r.body.length).toBe(1000);
    expect(r.observation.response?.body_length).toBe(2 * 1024 * 1024);
    expect(r.observation.response?.body_is_truncated).toBe(true);
    expect(r.observation.response?.title).toBe('big');
  });
});

describe('load beyond the in-flight cap (autocannon, 2 s)', () => {
  it('answers 503 at once, never lets a client time out, and still answers afterwards', async () => {
    // A resolver that answers NXDOMAIN after 300 ms: every measurement holds its slot that long.
    const { default: autocannon } = await import('autocannon');
    const dgram = await import('node:dgram');
    const dnsPacket = (await import('dns-packet')).default;
    const dns = dgram.createSocket('udp4');
    dns.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      const out = dnsPacket.encode({ type: 'response', id: q.id ?? 0, flags: 3, questions: q.questions ?? [] });
      // Replies still scheduled after the test closed the socket are dropped (send would throw).
      setTimeout(() => {
        try {
          dns.send(out, rinfo.port, rinfo.address);
        } catch {
          /* closed */
        }
      }, 300);
    });
    await new Promise<void>((r) => dns.bind(0, '127.0.0.1', () => r()));
    const h = createHelperServer({
      resolver: { kind: 'udp', ip: '127.0.0.1', port: dns.address().port },
      timeouts: { dnsMs: 2000, connectMs: 500, tlsMs: 500, httpMs: 500 },
      maxBodyBytes: 1024,
      maxRedirects: 2,
      maxInFlight: 3,
      software: 'censorprobe/test',
    });
    await new Promise<void>((resolve) => h.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(h.address() as AddressInfo).port}/`;
    try {
      const r = await autocannon({
        url,
        connections: 30,
        duration: 2,
        timeout: 20, // generous: a 503 comes in milliseconds, a timeout would mean a held client
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ http_request: 'http://www.does-not-exist.example/', tcp_connect: [] }),
      });
      const codes = (r as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats;
      expect(r.timeouts).toBe(0);
      expect(r.errors).toBe(0);
      expect(codes['503']?.count ?? 0).toBeGreaterThan(0);
      expect(codes['200']?.count ?? 0).toBeGreaterThan(0);
      expect(Object.keys(codes).sort()).toEqual(['200', '503']);
      const health = await fetch(url);
      expect(health.status).toBe(200);
    } finally {
      h.closeAllConnections();
      await new Promise<void>((resolve) => h.close(() => resolve()));
      dns.close();
    }
  });
});
