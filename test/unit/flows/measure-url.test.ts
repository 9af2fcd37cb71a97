import type http from 'node:http';
import type net from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { measureUrl, type FlowOptions } from '../../../src/flows/index.js';
import { createClock } from '../../../src/net/clock.js';
import { tcpConnect } from '../../../src/net/tcp.js';
import { tlsHandshake } from '../../../src/net/tls.js';
import { TOO_MANY_REDIRECTS } from '../../../src/model/failure.js';
import { createTestPki, type TestPki } from '../net/support/pki.js';
import { loopbackFlowOptions, startZoneDns } from './support/flow.js';
import { startHttpServer, startHttpsServer, startTcpServer, type Running } from '../net/support/servers.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
});
const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

const dns = (zone: Record<string, string[]>) => startZoneDns(zone, running);

function flowOptions(dnsPort: number, extra: Partial<FlowOptions> = {}): FlowOptions {
  return loopbackFlowOptions(dnsPort, {
    timeouts: { dnsMs: 1000, connectMs: 1000, tlsMs: 1000, httpMs: 1000 },
    maxBodyBytes: 524_288,
    maxRedirects: 10,
    lateReplyWindowMs: 20,
    ...extra,
  });
}

const PAGE = '<html><head><title>Default Web Page</title></head><body>ok</body></html>';

async function web(handler: http.RequestListener, host = '127.0.0.1', port = 0): Promise<Running> {
  const srv = await startHttpServer(handler, host, port);
  running.push(srv);
  return srv;
}

describe('measureUrl', () => {
  it('with a reachable http site: resolves, connects, fetches once, with OONI ids and tags', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    const w = await web((_req, res) => res.end(PAGE));
    let depth0: string[] | null = null;
    const m = await measureUrl(`http://www.example.com:${w.port}/`, flowOptions(d.port, { onDepth0Addresses: (a) => (depth0 = a) }));
    expect(depth0).toEqual(['127.0.0.1']);
    expect(m.hops).toHaveLength(1);
    expect(m.hops[0]).toMatchObject({ url: `http://www.example.com:${w.port}/`, depth: 0, addresses: ['127.0.0.1'], dns_failure: null, connects: [{ address: `127.0.0.1:${w.port}`, failure: null }], tls: [], location: null, failure: null, failed_operation: null });
    expect(m.hops[0]?.request?.response).toMatchObject({ code: 200, title: 'Default Web Page' });
    const { queries, tcp_connect, requests, network_events } = m.observations;
    expect(queries.map((q) => [q.query_type, q.transaction_id, q.tags])).toEqual([
      ['A', 10001, ['classic', 'depth=0']],
      ['AAAA', 10001, ['classic', 'depth=0']],
    ]);
    expect(tcp_connect).toHaveLength(1);
    expect(tcp_connect[0]).toMatchObject({ ip: '127.0.0.1', port: w.port, transaction_id: 40001, tags: ['classic', 'depth=0', 'fetch_body=true'] });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ transaction_id: 40001, depth: 0, failure: null });
    expect(requests[0]?.request.headers['Referer']).toBeUndefined();
    expect(network_events.map((e) => e.t)).toEqual([...network_events.map((e) => e.t)].sort((a, b) => a - b));
  });

  it('without dialLoopback: never dials a loopback answer (OONI ipfiltering)', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    const w = await web((_req, res) => res.end(PAGE));
    const m = await measureUrl(`http://www.example.com:${w.port}/`, flowOptions(d.port, { dialLoopback: false }));
    expect(m.hops[0]).toMatchObject({ addresses: ['127.0.0.1'], connects: [], request: null, failure: null });
    expect(m.observations.tcp_connect).toEqual([]);
  });

  it('with an IP-literal host: skips DNS', async () => {
    const w = await web((_req, res) => res.end(PAGE));
    const m = await measureUrl(`http://127.0.0.1:${w.port}/`, flowOptions(1));
    expect(m.observations.queries).toEqual([]);
    expect(m.hops[0]).toMatchObject({ addresses: ['127.0.0.1'], failure: null });
  });

  it('with an https site: handshakes with SNI = host and fetches over the handshaked connection', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    const cert = await pki.issue({ dnsNames: ['www.example.com'] });
    const s = await startHttpsServer(cert, (_req, res) => res.end(PAGE));
    running.push(s);
    const m = await measureUrl(`https://www.example.com:${s.port}/`, flowOptions(d.port, { extraCa: [pki.caPem] }));
    expect(m.hops[0]).toMatchObject({ failure: null, tls: [{ address: `127.0.0.1:${s.port}`, failure: null }] });
    expect(m.observations.tls_handshakes[0]).toMatchObject({ server_name: 'www.example.com', transaction_id: 40001, negotiated_protocol: 'h2', tags: ['classic', 'depth=0', 'fetch_body=true'] });
    expect(m.observations.requests[0]).toMatchObject({ transaction_id: 40001, response: { code: 200, title: 'Default Web Page' } });
    expect(s.servernames).toEqual(['www.example.com']);
  });

  it('with a certificate for another host: stops at tls_handshake with ssl_invalid_hostname', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    const cert = await pki.issue({ dnsNames: ['blocked.example.org'] });
    const s = await startHttpsServer(cert, (_req, res) => res.end(PAGE));
    running.push(s);
    const m = await measureUrl(`https://www.example.com:${s.port}/`, flowOptions(d.port, { extraCa: [pki.caPem] }));
    expect(m.hops[0]).toMatchObject({ failure: 'ssl_invalid_hostname', failed_operation: 'tls_handshake', request: null });
    expect(m.observations.requests).toEqual([]);
  });

  it('with redirects (302 relative, 303 to another host, 301 back): follows each hop from its own DNS, Referer = previous URL, DNS cache reused', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'], 'other.example.com': ['127.0.0.1'] });
    const referers: Record<string, string | undefined> = {};
    let port = 0;
    const w = await web((req, res) => {
      referers[req.url ?? ''] = req.headers.referer;
      if (req.url === '/a') res.writeHead(302, { Location: '/b?x=1#frag' }).end();
      else if (req.url === '/b?x=1') res.writeHead(303, { Location: `http://other.example.com:${port}/c` }).end();
      else if (req.url === '/c') res.writeHead(301, { Location: `http://www.example.com:${port}/d` }).end();
      else res.end(PAGE);
    });
    port = w.port;
    const m = await measureUrl(`http://www.example.com:${port}/a`, flowOptions(d.port));
    expect(m.hops.map((h) => [h.depth, h.url, h.request?.response?.code, h.location, h.failure])).toEqual([
      [0, `http://www.example.com:${port}/a`, 302, `http://www.example.com:${port}/b?x=1`, null],
      [1, `http://www.example.com:${port}/b?x=1`, 303, `http://other.example.com:${port}/c`, null],
      [2, `http://other.example.com:${port}/c`, 301, `http://www.example.com:${port}/d`, null],
      [3, `http://www.example.com:${port}/d`, 200, null, null],
    ]);
    expect(referers).toEqual({ '/a': undefined, '/b?x=1': `http://www.example.com:${port}/a`, '/c': `http://www.example.com:${port}/b?x=1`, '/d': `http://other.example.com:${port}/c` });
    // two lookups (www, other), each A + AAAA; the cached www is not asked again
    expect(m.observations.queries.map((q) => [q.hostname, q.transaction_id, q.depth])).toEqual([
      ['www.example.com', 10001, 0],
      ['www.example.com', 10001, 0],
      ['other.example.com', 10002, 2],
      ['other.example.com', 10002, 2],
    ]);
    expect(m.observations.tcp_connect.map((c) => [c.transaction_id, c.tags])).toEqual([
      [40001, ['classic', 'depth=0', 'fetch_body=true']],
      [40002, ['classic', 'depth=1', 'fetch_body=true']],
      [40003, ['classic', 'depth=2', 'fetch_body=true']],
      [40004, ['classic', 'depth=3', 'fetch_body=true']],
    ]);
    // requests: most recent first, as OONI prepends them
    expect(m.observations.requests.map((r) => r.depth)).toEqual([3, 2, 1, 0]);
  });

  it('with a redirect loop: stops after 10 redirects with unknown_failure: stopped after too many redirects', async () => {
    const w = await web((req, res) => {
      const n = Number((req.url ?? '/0').slice(1));
      res.writeHead(302, { Location: `/${n + 1}` }).end();
    });
    const m = await measureUrl(`http://127.0.0.1:${w.port}/0`, flowOptions(1));
    expect(m.hops).toHaveLength(11);
    expect(m.observations.requests).toHaveLength(11);
    const last = m.hops[10]!;
    expect(last).toMatchObject({ depth: 10, failure: TOO_MANY_REDIRECTS, failed_operation: 'http_round_trip' });
    expect(last.request?.response?.code).toBe(302);
    expect(m.observations.requests[0]).toMatchObject({ depth: 10, failure: 'unknown_failure: stopped after too many redirects' });
    expect(m.hops.slice(0, 10).every((h) => h.failure === null)).toBe(true);
  });

  it('a cookie interstitial (200, Set-Cookie, short refresh of the same URL) is reloaded once with the cookie; never without a new cookie, after a long delay, or twice', async () => {
    const interstitial = (refresh: string) => `<html><head><meta http-equiv="refresh" content="${refresh}"><title>Checking</title></head></html>`;
    const serve = (opts: { setCookie: (n: number) => string | null; refresh: string }) => {
      let n = 0;
      return web((req, res) => {
        n++;
        if (/seen=1/.test(req.headers.cookie ?? '') && opts.setCookie(n) === 'seen=1') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
        const c = opts.setCookie(n);
        res.writeHead(200, { 'Content-Type': 'text/html', ...(c ? { 'Set-Cookie': `${c}; Path=/` } : {}) }).end(interstitial(opts.refresh));
      });
    };
    const titles = (m: Awaited<ReturnType<typeof measureUrl>>) => m.hops.map((h) => [h.request?.request.headers['Cookie'] ?? null, h.request?.response?.title, h.location !== null, h.failure]);
    // Reloaded once with the cookie; the next page is the final one.
    const once = await serve({ setCookie: () => 'seen=1', refresh: '0; url=/' });
    const m1 = await measureUrl(`http://127.0.0.1:${once.port}/`, flowOptions(1));
    expect(titles(m1)).toEqual([[null, 'Checking', true, null], ['seen=1', 'Default Web Page', false, null]]);
    expect(m1.observations.x_redirects).toEqual([{ depth: 0, from: `http://127.0.0.1:${once.port}/`, to: `http://127.0.0.1:${once.port}/`, kind: 'meta_refresh' }]);
    // A plain reload ("3", no URL) with a cookie is one too.
    const plain = await serve({ setCookie: () => 'seen=1', refresh: '3' });
    expect(titles(await measureUrl(`http://127.0.0.1:${plain.port}/`, flowOptions(1)))).toEqual([[null, 'Checking', true, null], ['seen=1', 'Default Web Page', false, null]]);
    // No cookie, or a delay over 10 s: the interstitial is the page.
    for (const o of [{ setCookie: () => null, refresh: '0; url=/' }, { setCookie: () => 'seen=1', refresh: '30' }]) {
      const w = await serve(o);
      expect(titles(await measureUrl(`http://127.0.0.1:${w.port}/`, flowOptions(1)))).toEqual([[null, 'Checking', false, null]]);
    }
    // A new cookie on every visit: reloaded once, then that page is final (no loop, no failure).
    const loop = await serve({ setCookie: (n) => `sid=${n}`, refresh: '0' });
    expect(titles(await measureUrl(`http://127.0.0.1:${loop.port}/`, flowOptions(1)))).toEqual([[null, 'Checking', true, null], ['sid=1', 'Checking', false, null]]);
    // No redirect budget: the interstitial is the page.
    expect(titles(await measureUrl(`http://127.0.0.1:${once.port}/`, flowOptions(1, { maxRedirects: 0 })))).toEqual([[null, 'Checking', false, null]]);
  });

  it('with a Location without host: fails with http_invalid_redirect_location_host and keeps the 302', async () => {
    const w = await web((_req, res) => res.writeHead(302, { Location: 'http://' }).end());
    const m = await measureUrl(`http://127.0.0.1:${w.port}/broken-redirect-http`, flowOptions(1));
    expect(m.hops).toHaveLength(1);
    expect(m.hops[0]).toMatchObject({ failure: 'http_invalid_redirect_location_host', failed_operation: 'http_round_trip', location: null });
    expect(m.observations.requests[0]).toMatchObject({ failure: 'http_invalid_redirect_location_host', response: { code: 302 } });
  });

  it('with a refused port: fails at connect with connection_refused', async () => {
    const w = await web((_req, res) => res.end(PAGE));
    await w.close();
    running.pop();
    const m = await measureUrl(`http://127.0.0.1:${w.port}/`, flowOptions(1));
    expect(m.hops[0]).toMatchObject({ failure: 'connection_refused', failed_operation: 'connect', connects: [{ address: `127.0.0.1:${w.port}`, failure: 'connection_refused' }], request: null });
  });

  it('with two addresses, the first refused: fetches through the first one that connected, in resolver order', async () => {
    const w = await web((_req, res) => res.end(PAGE));
    const d = await dns({ 'www.example.com': ['127.0.0.2', '127.0.0.1'] });
    const m = await measureUrl(`http://www.example.com:${w.port}/`, flowOptions(d.port));
    expect(m.hops[0]?.connects).toEqual([
      { address: `127.0.0.2:${w.port}`, failure: 'connection_refused' },
      { address: `127.0.0.1:${w.port}`, failure: null },
    ]);
    expect(m.hops[0]?.failure).toBeNull();
    expect(m.observations.requests[0]).toMatchObject({ address: `127.0.0.1:${w.port}`, transaction_id: 40002 });
  });

  it('with two reachable addresses: exactly one connection fetches', async () => {
    const w = await web((_req, res) => res.end(PAGE));
    const w2 = await web((_req, res) => res.end(PAGE), '127.0.0.2', w.port).catch(() => null);
    if (w2 === null) return; // port taken on 127.0.0.2: nothing to test
    const d = await dns({ 'www.example.com': ['127.0.0.2', '127.0.0.1'] });
    const m = await measureUrl(`http://www.example.com:${w.port}/`, flowOptions(d.port));
    expect(m.observations.tcp_connect).toHaveLength(2);
    expect(m.observations.requests).toHaveLength(1);
    expect(m.observations.requests[0]?.address).toBe(`127.0.0.2:${w.port}`);
  });

  it('with NXDOMAIN: stops at resolve and reports no depth-0 addresses', async () => {
    const d = await dns({});
    let depth0: string[] | null = null;
    const m = await measureUrl('http://nxdomain.example/', flowOptions(d.port, { onDepth0Addresses: (a) => (depth0 = a) }));
    expect(depth0).toEqual([]);
    expect(m.hops).toEqual([
      { url: 'http://nxdomain.example/', depth: 0, addresses: [], dns_failure: 'dns_nxdomain_error', connects: [], tls: [], request: null, location: null, failure: 'dns_nxdomain_error', failed_operation: 'resolve', not_dialled: [], redirect_kind: null },
    ]);
  });

  it('with a connection reset after a redirect: names the hop and the operation', async () => {
    const reset = await startTcpServer((s) => s.once('data', () => s.resetAndDestroy()));
    running.push(reset);
    const w = await web((_req, res) => res.writeHead(302, { Location: `http://127.0.0.1:${reset.port}/` }).end());
    const m = await measureUrl(`http://127.0.0.1:${w.port}/`, flowOptions(1));
    expect(m.hops).toHaveLength(2);
    expect(m.hops[1]).toMatchObject({ depth: 1, failure: 'connection_reset', failed_operation: 'http_round_trip' });
  });

  it('with a server that never answers: fails with generic_timeout_error after httpMs', async () => {
    const silent = await startTcpServer(() => undefined);
    running.push(silent);
    const m = await measureUrl(`http://127.0.0.1:${silent.port}/`, flowOptions(1, { timeouts: { dnsMs: 1000, connectMs: 1000, tlsMs: 1000, httpMs: 200 } }));
    expect(m.hops[0]).toMatchObject({ failure: 'generic_timeout_error', failed_operation: 'http_round_trip' });
  });

  it('with the system resolver: records one getaddrinfo query tagged classic', async () => {
    const w = await web((_req, res) => res.end(PAGE));
    const m = await measureUrl(`http://www.example.com:${w.port}/`, {
      ...flowOptions(1),
      resolver: { kind: 'system' },
      getaddrinfo: () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
    });
    expect(m.observations.queries).toHaveLength(1);
    expect(m.observations.queries[0]).toMatchObject({ engine: 'getaddrinfo', query_type: 'ANY', transaction_id: 10001, tags: ['classic', 'depth=0'] });
    expect(m.hops[0]?.failure).toBeNull();
  });

  it('with an aborted signal: reports interrupted instead of throwing', async () => {
    const ac = new AbortController();
    // Aborted while the request waits for its answer: when the (silent) server receives it.
    const silent = await startTcpServer((s) => s.once('data', () => ac.abort()));
    running.push(silent);
    const m = await measureUrl(`http://127.0.0.1:${silent.port}/`, flowOptions(1, { signal: ac.signal }));
    expect(m.hops[0]).toMatchObject({ failure: 'interrupted', failed_operation: 'http_round_trip' });
  });

  it('with RST injected after ClientHello: fails at tls_handshake with connection_reset', async () => {
    const reset = await startTcpServer((s) => s.once('data', () => s.resetAndDestroy()));
    running.push(reset);
    const m = await measureUrl(`https://127.0.0.1:${reset.port}/`, flowOptions(1));
    expect(m.hops[0]).toMatchObject({ failure: 'connection_reset', failed_operation: 'tls_handshake', connects: [{ failure: null }], tls: [{ failure: 'connection_reset' }], request: null });
    expect(m.observations.tls_handshakes[0]).toMatchObject({ server_name: '127.0.0.1', failure: 'connection_reset' });
  });

  it('with an IPv6-literal host: dials [::1] and writes bracketed endpoints', async () => {
    const w = await startHttpServer((_req, res) => res.end(PAGE), '::1').catch(() => null);
    if (w === null) return; // no IPv6 loopback on this host
    running.push(w);
    const m = await measureUrl(`http://[::1]:${w.port}/`, flowOptions(1));
    expect(m.hops[0]).toMatchObject({ addresses: ['::1'], connects: [{ address: `[::1]:${w.port}`, failure: null }], failure: null });
    expect(m.observations.requests[0]?.request.headers['Host']).toBe(`[::1]:${w.port}`);
  });
});

describe('measureUrl with reuseConnection', () => {
  it('uses the given depth-0 connection (its observations, one handshake on the server) and dials the later hops itself', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    const cert = await pki.issue({ dnsNames: ['www.example.com'] });
    let port = 0;
    const s = await startHttpsServer(cert, (req, res) => {
      if (req.url === '/') res.writeHead(302, { Location: `https://www.example.com:${port}/next` }).end();
      else res.end(PAGE);
    }, { h2: false });
    running.push(s);
    port = s.port;
    const clock = createClock();
    // The connection the caller made (as the helper's endpoint check does).
    const c = await tcpConnect('127.0.0.1', port, { clock, transactionId: 7, depth: 0, tags: ['check'] });
    const t = await tlsHandshake(c.socket as net.Socket, { serverName: 'www.example.com', clock, transactionId: 7, depth: 0, tags: ['check'], address: `127.0.0.1:${port}`, extraCa: [pki.caPem] });
    const asked: string[] = [];
    const m = await measureUrl(`https://www.example.com:${port}/`, flowOptions(d.port, {
      extraCa: [pki.caPem],
      reuseConnection: (ip, p) => {
        asked.push(`${ip}:${p}`);
        return asked.length === 1 ? Promise.resolve({ connect: c.observation, handshake: t.observation, socket: t.socket }) : null;
      },
    }));
    expect(asked).toEqual([`127.0.0.1:${port}`]); // depth 0 only
    expect(m.hops.map((h) => [h.depth, h.request?.response?.code, h.failure])).toEqual([[0, 302, null], [1, 200, null]]);
    expect(m.observations.tcp_connect.map((x) => x.tags)).toEqual([['check'], ['classic', 'depth=1', 'fetch_body=true']]);
    expect(m.observations.tls_handshakes.map((x) => x.tags)).toEqual([['check'], ['classic', 'depth=1', 'fetch_body=true']]);
    expect(s.servernames).toEqual(['www.example.com', 'www.example.com']); // two handshakes in all: the given one and depth 1's
  });

  it('dials as usual when the promise gives null', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    const w = await web((_req, res) => res.end(PAGE));
    const m = await measureUrl(`http://www.example.com:${w.port}/`, flowOptions(d.port, { reuseConnection: () => Promise.resolve(null) }));
    expect(m.hops[0]).toMatchObject({ failure: null, connects: [{ address: `127.0.0.1:${w.port}`, failure: null }] });
    expect(m.observations.tcp_connect[0]?.tags).toEqual(['classic', 'depth=0', 'fetch_body=true']);
  });
});
