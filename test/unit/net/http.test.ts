import type net from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClock } from '../../../src/net/clock.js';
import { tcpConnect } from '../../../src/net/tcp.js';
import { tlsHandshake } from '../../../src/net/tls.js';
import { canonicalHeaderName, extractTitle, httpRoundTrip, titleOf, USER_AGENT, type HttpRoundTripOptions } from '../../../src/net/http.js';
import { decodeBody } from '../../../src/model/charset.js';
import { createTestPki, type TestPki } from './support/pki.js';
import { startHttpServer, startHttpsServer, startTcpServer, type Running } from './support/servers.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
});
const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

const PAGE = '<!doctype html><html><head><TITLE>Example Domain</TITLE></head><body>hello</body></html>';

async function get(port: number, extra: Partial<HttpRoundTripOptions> & { https?: boolean; host?: string } = {}) {
  const clock = createClock();
  const c = await tcpConnect('127.0.0.1', port, { clock, transactionId: 40001, depth: 0, tags: ['depth=0'] });
  if (c.socket === null) throw new Error(`connect: ${c.observation.status.failure}`);
  let socket: net.Socket = c.socket;
  const host = extra.host ?? 'www.example.com';
  if (extra.https === true) {
    const t = await tlsHandshake(c.socket, { serverName: host, extraCa: [pki.caPem], clock, transactionId: 40001, depth: 0, address: `127.0.0.1:${port}` });
    if (t.socket === null) throw new Error(`tls: ${t.observation.failure}`);
    socket = t.socket;
  }
  const scheme = extra.https === true ? 'https' : 'http';
  const r = await httpRoundTrip(socket, { url: `${scheme}://${host}:${port}/path?q=1`, address: `127.0.0.1:${port}`, clock, timeoutMs: 2000, transactionId: 40001, depth: 0, tags: ['depth=0', 'fetch_body=true'], ...extra });
  return { ...r, socket };
}

describe('httpRoundTrip', () => {
  it('with a plain HTTP server: records status, headers in wire order, body, title and the browser-like request', async () => {
    let seen: Record<string, string | string[] | undefined> = {};
    const srv = await startHttpServer((req, res) => {
      seen = req.headers;
      res.setHeader('X-First', 'a');
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.end(PAGE);
    });
    running.push(srv);
    const r = await get(srv.port, { referer: 'http://previous.example/' });
    const o = r.observation;
    expect(o.failure).toBeNull();
    expect(o.request).toMatchObject({ method: 'GET', url: `http://www.example.com:${srv.port}/path?q=1`, body: '', body_is_truncated: false, x_transport: 'tcp' });
    expect(o.request.headers).toMatchObject({ Host: `www.example.com:${srv.port}`, 'User-Agent': USER_AGENT, Referer: 'http://previous.example/', 'Accept-Language': 'en-US,en;q=0.9' });
    expect(seen['host']).toBe(`www.example.com:${srv.port}`);
    expect(seen['user-agent']).toBe(USER_AGENT);
    expect(seen['referer']).toBe('http://previous.example/');
    expect(o.response?.code).toBe(200);
    expect(o.response?.headers_list.slice(0, 4)).toEqual([['X-First', 'a'], ['Content-Type', 'text/html; charset=utf-8'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
    expect(o.response?.headers['Set-Cookie']).toBe('a=1');
    expect(o.response).toMatchObject({ body: PAGE, body_length: PAGE.length, body_is_truncated: false, title: 'Example Domain' });
    expect(r.body.toString()).toBe(PAGE);
    expect(o.t_first_byte).toBeGreaterThanOrEqual(o.t0);
    expect(o.t).toBeGreaterThanOrEqual(o.t_first_byte ?? 0);
    expect(r.events.some((e) => e.operation === 'read' && (e.num_bytes ?? 0) > 0)).toBe(true);
    expect(r.events.at(-1)).toMatchObject({ operation: 'bytes_received_cumulative', transaction_id: 40001 });
    expect(r.socket.destroyed).toBe(true);
  });

  it('with a body larger than the cap: stops at the cap and marks it truncated', async () => {
    const srv = await startHttpServer((_req, res) => {
      res.write('x'.repeat(60_000));
      res.end('y'.repeat(60_000));
    });
    running.push(srv);
    const r = await get(srv.port, { maxBodyBytes: 1000 });
    expect(r.observation.failure).toBeNull();
    expect(r.observation.response).toMatchObject({ body_length: 1000, body_is_truncated: true });
    expect(r.body.length).toBe(1000);
  });

  it('with a body exactly at the cap: marks it truncated (OONI rule length >= cap)', async () => {
    const srv = await startHttpServer((_req, res) => res.end('z'.repeat(100)));
    running.push(srv);
    const r = await get(srv.port, { maxBodyBytes: 100 });
    expect(r.observation.response).toMatchObject({ body_length: 100, body_is_truncated: true });
  });

  it('with a server that accepts and never answers: reports generic_timeout_error after timeoutMs', async () => {
    const srv = await startTcpServer(() => undefined);
    running.push(srv);
    const r = await get(srv.port, { timeoutMs: 300 });
    expect(r.observation.failure).toBe('generic_timeout_error');
    expect(r.observation.response).toBeNull();
    expect(r.observation.t - r.observation.t0).toBeGreaterThanOrEqual(0.29);
    expect(r.socket.destroyed).toBe(true);
  });

  it('with RST injected after the request: reports connection_reset', async () => {
    const srv = await startTcpServer((s) => s.once('data', () => s.resetAndDestroy()));
    running.push(srv);
    const r = await get(srv.port);
    expect(r.observation.failure).toBe('connection_reset');
    expect(r.observation.response).toBeNull();
  });

  it('with RST in the middle of the body: reports connection_reset and keeps the response head', async () => {
    const srv = await startTcpServer((s) =>
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nhalf');
        setTimeout(() => s.resetAndDestroy(), 50);
      }),
    );
    running.push(srv);
    const r = await get(srv.port);
    expect(r.observation.failure).toBe('connection_reset');
    expect(r.observation.response).toMatchObject({ code: 200, body: 'half', body_length: 4 });
  });

  it('with the connection closed before any response: reports eof_error', async () => {
    const srv = await startTcpServer((s) => s.once('data', () => s.end()));
    running.push(srv);
    const r = await get(srv.port);
    expect(r.observation.failure).toBe('eof_error');
  });

  it('with an injected HTTP/1.0 blockpage without headers that closes: parses status 200 and the body', async () => {
    const blockpage = '<html><head><title>Access Denied</title></head><body>blocked</body></html>';
    const srv = await startTcpServer((s) => s.once('data', () => s.end(`HTTP/1.0 200 OK\r\n\r\n${blockpage}`)));
    running.push(srv);
    const r = await get(srv.port);
    expect(r.observation.failure).toBeNull();
    expect(r.observation.response).toMatchObject({ code: 200, headers_list: [], body: blockpage, title: 'Access Denied', body_is_truncated: false });
  });

  it('with a non-UTF-8 body: stores it as base64', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const srv = await startHttpServer((_req, res) => res.end(bytes));
    running.push(srv);
    const r = await get(srv.port);
    expect(r.observation.response?.body).toEqual({ format: 'base64', data: bytes.toString('base64') });
  });

  it('with HTTPS and ALPN h2: fetches over HTTP/2 on our socket', async () => {
    const cert = await pki.issue({ dnsNames: ['www.example.com'] });
    let version = '';
    let authority = '';
    const srv = await startHttpsServer(cert, (req, res) => {
      version = req.httpVersion;
      authority = (req.headers as Record<string, string>)[':authority'] ?? '';
      res.setHeader('content-type', 'text/html');
      res.end(PAGE);
    });
    running.push(srv);
    const r = await get(srv.port, { https: true });
    expect(r.observation.failure).toBeNull();
    expect(version).toBe('2.0');
    expect(authority).toBe(`www.example.com:${srv.port}`);
    expect(r.observation.response).toMatchObject({ code: 200, title: 'Example Domain', body_length: PAGE.length });
    expect(r.observation.response?.headers['Content-Type']).toBe('text/html');
    expect(r.events.some((e) => e.operation === 'read')).toBe(true);
    expect(r.socket.destroyed).toBe(true);
  });

  it('with HTTP/2 and a server that never answers: reports generic_timeout_error', async () => {
    const cert = await pki.issue({ dnsNames: ['www.example.com'] });
    const srv = await startHttpsServer(cert, () => undefined);
    running.push(srv);
    const r = await get(srv.port, { https: true, timeoutMs: 300 });
    expect(r.observation.failure).toBe('generic_timeout_error');
    expect(r.observation.response).toBeNull();
    expect(r.socket.destroyed).toBe(true);
  });

  it('with HTTP/2 and a body larger than the cap: stops at the cap', async () => {
    const cert = await pki.issue({ dnsNames: ['www.example.com'] });
    const srv = await startHttpsServer(cert, (_req, res) => res.end('q'.repeat(200_000)));
    running.push(srv);
    const r = await get(srv.port, { https: true, maxBodyBytes: 5000 });
    expect(r.observation.failure).toBeNull();
    expect(r.observation.response).toMatchObject({ body_length: 5000, body_is_truncated: true });
  });

  it('with HTTPS over HTTP/1.1: fetches over HTTP/1.1', async () => {
    const cert = await pki.issue({ dnsNames: ['www.example.com'] });
    let version = '';
    const srv = await startHttpsServer(cert, (req, res) => {
      version = req.httpVersion;
      res.end(PAGE);
    }, { h2: false });
    running.push(srv);
    const r = await get(srv.port, { https: true });
    expect(r.observation.failure).toBeNull();
    expect(version).toBe('1.1');
    expect(r.observation.response?.title).toBe('Example Domain');
  });

  it('with a slow body: samples bytes_received_cumulative about every 250 ms', async () => {
    const srv = await startHttpServer((_req, res) => {
      res.setHeader('content-length', '3000');
      let sent = 0;
      const timer = setInterval(() => {
        res.write('a'.repeat(1000));
        sent += 1000;
        if (sent >= 3000) {
          clearInterval(timer);
          res.end();
        }
      }, 200);
    });
    running.push(srv);
    const r = await get(srv.port);
    const samples = r.events.filter((e) => e.operation === 'bytes_received_cumulative');
    expect(samples.length).toBeGreaterThanOrEqual(2);
    const counts = samples.map((s) => s.num_bytes ?? 0);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    expect(counts.at(-1)).toBeGreaterThanOrEqual(3000);
  });
});

describe('extractTitle and canonicalHeaderName', () => {
  it('extracts the title case-insensitively, up to 512 characters, and nothing when absent', () => {
    expect(extractTitle('<Title>Hi there</tItle>')).toBe('Hi there');
    expect(extractTitle('<title></title>')).toBe('');
    expect(extractTitle('no title')).toBe('');
    expect(extractTitle(`<title>${'a'.repeat(513)}</title>`)).toBe('');
  });
  it('titleOf gives what decoding and extractTitle give, also for bodies it does not decode', () => {
    const bodies: [Buffer, string | null][] = [
      [Buffer.from('<html><TiTlE>Привет</title>'), 'text/html; charset=utf-8'],
      [Buffer.from('no tag here, only <titl and title>'), null],
      [Buffer.concat([Buffer.from([0xe2, 0x82]), Buffer.from('<title>after a cut sequence</title>')]), null],
      [Buffer.concat([Buffer.from('<ti'), Buffer.from([0xff]), Buffer.from('tle>x</title>')]), null],
      [Buffer.from([0x3c, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x3e, 0xcf, 0xf0, 0xe8, 0x3c, 0x2f, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x3e]), 'text/html; charset=windows-1251'],
      [Buffer.from('\ufeff<title>bom</title>'), null],
      [Buffer.alloc(600_000, 0x41), 'application/octet-stream'],
    ];
    for (const [body, type] of bodies) expect(titleOf(body, type)).toBe(extractTitle(decodeBody(body, type)));
    expect(titleOf(bodies[0]![0], bodies[0]![1])).toBe('Привет');
    expect(titleOf(bodies[4]![0], bodies[4]![1])).toBe('При');
  });
  it('canonicalises header names as Go does', () => {
    expect(canonicalHeaderName('content-type')).toBe('Content-Type');
    expect(canonicalHeaderName('X-FORWARDED-FOR')).toBe('X-Forwarded-For');
  });
});
