/**
 * The flow as a browser: cookies kept across redirects, Refresh header and meta refresh followed as
 * redirects (same limit), bogons never dialled (recorded in x_not_dialled), HTTP/3 advertised in
 * Alt-Svc recorded as untested, the caller's request headers sent. Servers on 127.0.0.0/8.
 */
import type http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { measureUrl, type FlowOptions } from '../../../src/flows/index.js';
import { metaRefreshContent, refreshDeclaration, refreshDelay, refreshRedirect, refreshTarget } from '../../../src/flows/refresh.js';
import { altSvcHttp3 } from '../../../src/flows/variants.js';
import { TOO_MANY_REDIRECTS } from '../../../src/model/failure.js';
import { startHttpServer, type Running } from '../net/support/servers.js';
import { loopbackFlowOptions, startZoneDns } from './support/flow.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

const dns = (zone: Record<string, string[]>) => startZoneDns(zone, running);

function opts(dnsPort: number, extra: Partial<FlowOptions> = {}): FlowOptions {
  return loopbackFlowOptions(dnsPort, {
    timeouts: { dnsMs: 1000, connectMs: 1000, tlsMs: 1000, httpMs: 2000 },
    maxBodyBytes: 524_288,
    maxRedirects: 10,
    lateReplyWindowMs: 0,
    ...extra,
  });
}

async function web(handler: http.RequestListener): Promise<Running> {
  const srv = await startHttpServer(handler, '127.0.0.1', 0);
  running.push(srv);
  return srv;
}

const PAGE = '<html><head><title>Front</title></head><body>ok</body></html>';

describe('cookies across redirects', () => {
  it('a 302 to itself with Set-Cookie until the cookie comes back: one redirect, then the page', async () => {
    const d = await dns({ 'news.example.ir': ['127.0.0.1'] });
    const w = await web((req, res) => {
      if (/(^|;\s*)seen=1/.test(req.headers.cookie ?? '')) {
        res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
        return;
      }
      res.writeHead(302, { Location: '/', 'Set-Cookie': 'seen=1; Path=/' }).end();
    });
    const m = await measureUrl(`http://news.example.ir:${w.port}/`, opts(d.port));
    expect(m.hops.map((h) => h.request?.response?.code)).toEqual([302, 200]);
    expect(m.hops[1]?.request?.request.headers['Cookie']).toBe('seen=1');
    expect(m.hops.at(-1)?.failure).toBeNull();
  });
  it('a cookie for another path or host is not sent', async () => {
    const d = await dns({ 'a.example.ir': ['127.0.0.1'] });
    const w = await web((req, res) => {
      if (req.url === '/') {
        res.writeHead(302, { Location: '/next', 'Set-Cookie': 'x=1; Path=/private' }).end();
        return;
      }
      res.end(PAGE);
    });
    const m = await measureUrl(`http://a.example.ir:${w.port}/`, opts(d.port));
    expect(m.hops[1]?.request?.request.headers['Cookie']).toBeUndefined();
  });
});

describe('refresh redirects', () => {
  it('parses refresh contents and meta tags', () => {
    expect(refreshTarget('0; url=http://blocked.gov.example/')).toBe('http://blocked.gov.example/');
    expect(refreshTarget("5;URL='/next'")).toBe('/next');
    expect(refreshTarget('0,/x')).toBe('/x');
    expect(refreshTarget('30')).toBeNull();
    expect(metaRefreshContent('<META HTTP-EQUIV=Refresh CONTENT="0;URL=http://b.example/">')).toBe('0;URL=http://b.example/');
    expect(metaRefreshContent('<meta content="1; url=/a&amp;b" http-equiv="refresh">')).toBe('1; url=/a&b');
    expect(metaRefreshContent('<meta name="viewport" content="width=device-width">')).toBeNull();
    expect(refreshRedirect([['Refresh', '0; url=/h']], 'text/html', '<meta http-equiv="refresh" content="0;url=/m">')).toEqual({ target: '/h', kind: 'refresh_header' });
    expect(refreshRedirect([], 'application/json', '<meta http-equiv="refresh" content="0;url=/m">')).toBeNull();
  });
  it('follows a meta refresh and a Refresh header as hops, recorded in x_redirects', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    const w = await web((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><meta http-equiv="refresh" content="0; url=/second"></head></html>');
        return;
      }
      if (req.url === '/second') {
        res.writeHead(200, { Refresh: '0; url=/third' }).end('moved');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    const base = `http://www.example.com:${w.port}`;
    const m = await measureUrl(`${base}/`, opts(d.port));
    expect(m.hops.map((h) => [h.depth, h.request?.response?.code, h.redirect_kind])).toEqual([
      [0, 200, 'meta_refresh'],
      [1, 200, 'refresh_header'],
      [2, 200, null],
    ]);
    expect(m.observations.x_redirects).toEqual([
      { depth: 0, from: `${base}/`, to: `${base}/second`, kind: 'meta_refresh' },
      { depth: 1, from: `${base}/second`, to: `${base}/third`, kind: 'refresh_header' },
    ]);
  });
  it('a refresh loop stops at the redirect limit like Location redirects', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    let n = 0;
    const w = await web((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<meta http-equiv="refresh" content="0;url=/p${++n}">`));
    const m = await measureUrl(`http://www.example.com:${w.port}/`, opts(d.port, { maxRedirects: 3 }));
    expect(m.hops).toHaveLength(4);
    expect(m.hops.at(-1)?.failure).toBe(TOO_MANY_REDIRECTS);
  });
  it('a refresh to the same URL (a reload) is not a redirect', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    const w = await web((_req, res) => res.writeHead(200, { Refresh: '30; url=/' }).end(PAGE));
    const m = await measureUrl(`http://www.example.com:${w.port}/`, opts(d.port));
    expect(m.hops).toHaveLength(1);
    expect(m.observations.x_redirects).toBeUndefined();
  });
});

describe('addresses never dialled', () => {
  it('bogons and 0.0.0.0 in an answer are recorded, not dialled; the genuine address is measured', async () => {
    const d = await dns({ 'www.example.com': ['0.0.0.0', '10.10.34.35', '127.0.0.1'] });
    const w = await web((_req, res) => res.end(PAGE));
    const m = await measureUrl(`http://www.example.com:${w.port}/`, opts(d.port));
    expect(m.observations.x_not_dialled).toEqual([
      { ip: '0.0.0.0', port: w.port, depth: 0, reason: 'bogon' },
      { ip: '10.10.34.35', port: w.port, depth: 0, reason: 'bogon' },
    ]);
    expect(m.observations.tcp_connect.map((t) => t.ip)).toEqual(['127.0.0.1']);
    expect(m.hops[0]?.not_dialled).toEqual(['0.0.0.0', '10.10.34.35']);
    expect(m.hops[0]?.request?.response?.code).toBe(200);
  });
  it('without dialLoopback, loopback is a bogon too and nothing is dialled', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    const w = await web((_req, res) => res.end(PAGE));
    const m = await measureUrl(`http://www.example.com:${w.port}/`, opts(d.port, { dialLoopback: false }));
    expect(m.observations.tcp_connect).toEqual([]);
    expect(m.observations.x_not_dialled).toEqual([{ ip: '127.0.0.1', port: w.port, depth: 0, reason: 'bogon' }]);
  });
});

describe('untested variants and forwarded headers', () => {
  it('Alt-Svc h3 is recorded as an untested HTTP/3 variant', async () => {
    expect(altSvcHttp3([['alt-svc', 'h3=":443"; ma=86400, h3-29=":443"']])).not.toBeNull();
    expect(altSvcHttp3([['alt-svc', 'h2=":443"']])).toBeNull();
    expect(altSvcHttp3([['alt-svc', 'clear']])).toBeNull();
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    const w = await web((_req, res) => res.writeHead(200, { 'alt-svc': 'h3=":443"; ma=86400' }).end(PAGE));
    const m = await measureUrl(`http://www.example.com:${w.port}/`, opts(d.port));
    expect(m.observations.x_untested_variants).toEqual([{ variant: 'http3', depth: 0, url: `http://www.example.com:${w.port}/`, source: 'alt-svc', advertised: 'h3=":443"; ma=86400' }]);
  });
  it('sends the caller request headers, but never a caller Cookie', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    let seen: http.IncomingHttpHeaders = {};
    const w = await web((req, res) => {
      seen = req.headers;
      res.end(PAGE);
    });
    await measureUrl(`http://www.example.com:${w.port}/`, opts(d.port, { requestHeaders: { 'Accept-Language': 'fa-IR', Cookie: 'evil=1' } }));
    expect(seen['accept-language']).toBe('fa-IR');
    expect(seen.cookie).toBeUndefined();
  });
});

describe('redirect targets', () => {
  it('a redirect to a bogon IP literal is not dialled', async () => {
    const d = await dns({ 'www.example.com': ['127.0.0.1'] });
    const w = await web((_req, res) => res.writeHead(302, { Location: 'http://10.10.34.35/' }).end());
    const m = await measureUrl(`http://www.example.com:${w.port}/`, opts(d.port));
    expect(m.hops).toHaveLength(2);
    expect(m.observations.x_not_dialled).toEqual([{ ip: '10.10.34.35', port: 80, depth: 1, reason: 'bogon' }]);
    expect(m.observations.tcp_connect.map((t) => t.ip)).toEqual(['127.0.0.1']);
  });
});

describe('refreshDeclaration (a refresh with or without a URL, and its delay)', () => {
  const html = 'text/html; charset=utf-8';
  it('reads the delay and the target, a reload having none', () => {
    expect(refreshDelay('5; url=/x')).toBe(5);
    expect(refreshDelay(' 0.5')).toBe(0);
    expect(refreshDelay('10.5; url=/')).toBe(10); // the HTML standard ignores the fraction
    expect(refreshDelay('url=/x')).toBe(0);
    expect(refreshDeclaration([], html, '<meta http-equiv="refresh" content="0; url=/">')).toEqual({ target: '/', delaySeconds: 0, kind: 'meta_refresh' });
    expect(refreshDeclaration([], html, '<meta http-equiv="Refresh" content="3">')).toEqual({ target: null, delaySeconds: 3, kind: 'meta_refresh' });
    expect(refreshDeclaration([['Refresh', '300']], html, '')).toEqual({ target: null, delaySeconds: 300, kind: 'refresh_header' });
    // Both declared: the header's (the document "will declaratively refresh" before any meta is
    // parsed, HTML standard); an invalid header does not count.
    expect(refreshDeclaration([['Refresh', '30']], html, '<meta http-equiv="refresh" content="0; url=/">')).toEqual({ target: null, delaySeconds: 30, kind: 'refresh_header' });
    expect(refreshDeclaration([['Refresh', 'soon']], html, '<meta http-equiv="refresh" content="0; url=/">')).toEqual({ target: '/', delaySeconds: 0, kind: 'meta_refresh' });
  });
  it('none without a declaration, in a non-HTML body, or with a malformed content', () => {
    expect(refreshDeclaration([], html, '<p>hi</p>')).toBeNull();
    expect(refreshDeclaration([], 'application/json', '<meta http-equiv="refresh" content="0">')).toBeNull();
    expect(refreshDeclaration([], html, '<meta http-equiv="refresh" content="soon">')).toBeNull();
  });
});
