/**
 * web-servers: the world's web servers (docs/lab.md-8): the example server, the blockpage
 * server, the bit.ly shortener, badssl, yandex, the large file, the Cloudflare cache that
 * discriminates by client address, and httpbin. Responses are written byte by byte by
 * http-responder so headers are exactly the ones listed (with docs/lab.md's fixed Date).
 *
 * and the ISP transparent proxy (isp-proxy.ts). Not built: HTTP/3 and DoH.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { createLabCa, issueLeaf, type PemPair } from './lab-ca.js';
import { ispHttpProxyHandler, ispSniProxyServer } from './isp-proxy.js';
import { serveHttp, type LabHandler, type LabRequest, type LabResponse, type SyncLabHandler } from './http-responder.js';
import { HOSTS } from './world-hosts.js';
import { hostileHttpServer, hostileTlsServer, hugeChainServer } from './hostile.js';
import { createRateLimit } from './shapers.js';
import type { WorldSpec } from './world-spec.js';

/** The fixed Date header of every world response (docs/lab.md). */
export const WORLD_DATE = 'Thu, 24 Aug 2023 14:35:29 GMT';
/** The Alt-Svc header of the web-server hosts (docs/lab.md). */
export const ALT_SVC = 'h3=":443"';
/** Size of the large file, bytes: 2^25 = 32 MiB (docs/lab.md). */
export const LARGE_FILE_BYTES = 2 ** 25;

/** Pages: the byte-exact bodies of docs/lab.md */
export interface Pages {
  example: Buffer;
  blockpage: Buffer;
  captcha: Buffer;
}

/** loadPages reads the three page bodies from `dir`; throws (ENOENT) if one is missing. */
export function loadPages(dir: string): Pages {
  return {
    example: readFileSync(join(dir, 'example_page.html')),
    blockpage: readFileSync(join(dir, 'blockpage.html')),
    captcha: readFileSync(join(dir, 'cloudflare_captcha.html')),
  };
}

const HTML = 'text/html; charset=utf-8';

function empty(status: number, headers: [string, string][]): LabResponse {
  const all: [string, string][] = [...headers, ['Content-Length', '0']];
  return { status, headers: all.sort((a, b) => a[0].localeCompare(b[0])) };
}

function page(status: number, body: Buffer, extra: [string, string][] = []): LabResponse {
  const headers: [string, string][] = [
    ['Alt-Svc', ALT_SVC],
    ['Content-Length', String(body.length)],
    ['Content-Type', HTML],
    ['Date', WORLD_DATE],
    ...extra,
  ];
  return { status, headers: headers.sort((a, b) => a[0].localeCompare(b[0])), body };
}

/** exampleHandler: Host www.example.com/org → 200 Default Web Page; example.com/org → 308 to https://www.…/; else 400 (docs/lab.md). */
export function exampleHandler(pages: Pages): SyncLabHandler {
  return (req) => {
    if (req.host === 'www.example.com' || req.host === 'www.example.org') return page(200, pages.example);
    if (req.host === 'example.com' || req.host === 'example.org') {
      return empty(308, [
        ['Alt-Svc', ALT_SVC],
        ['Date', WORLD_DATE],
        ['Location', `https://www.${req.host}/`],
      ]);
    }
    return empty(400, [
      ['Alt-Svc', ALT_SVC],
      ['Date', WORLD_DATE],
    ]);
  };
}

/** blockpageHandler: any request → 200 with the 188-byte page, Content-Length, Content-Type, Date (docs/lab.md). */
export function blockpageHandler(pages: Pages): SyncLabHandler {
  return () => ({
    status: 200,
    headers: [
      ['Content-Length', String(pages.blockpage.length)],
      ['Content-Type', HTML],
      ['Date', WORLD_DATE],
    ],
    body: pages.blockpage,
  });
}

/** BITLY_TABLE: the shortener's path → Location table (docs/lab.md). */
export const BITLY_TABLE: Record<string, string> = {
  '/21645': 'https://www.example.com/',
  '/32447': 'http://www.example.com/',
  '/24561': 'https://example.com/',
  '/21309': 'http://example.com/',
  '/30744': 'https://www.example.org/',
  '/23894': 'http://www.example.org/',
  '/30179': 'https://example.org/',
  '/11372': 'http://example.org/',
};

/** bitlyHandler: a known path → 308 with its Location, else 404 (docs/lab.md). */
export function bitlyHandler(): SyncLabHandler {
  return (req) => {
    const location = BITLY_TABLE[req.target.split('?')[0] ?? ''];
    if (location !== undefined) return empty(308, [['Date', WORLD_DATE], ['Location', location]]);
    return empty(404, [['Date', WORLD_DATE]]);
  };
}

/** yandexHandler: яндекс.рф → 308 https://yandex.com/ → 308 https://ya.ru/ → 200; else 400 (docs/lab.md). */
export function yandexHandler(pages: Pages): SyncLabHandler {
  return (req) => {
    if (req.host === 'xn--d1acpjx3f.xn--p1ai') return empty(308, [['Alt-Svc', ALT_SVC], ['Date', WORLD_DATE], ['Location', 'https://yandex.com/']]);
    if (req.host === 'yandex.com') return empty(308, [['Alt-Svc', ALT_SVC], ['Date', WORLD_DATE], ['Location', 'https://ya.ru/']]);
    if (req.host === 'ya.ru') return page(200, pages.example);
    return empty(400, [['Alt-Svc', ALT_SVC], ['Date', WORLD_DATE]]);
  };
}

/** randomStream yields `total` fresh random bytes in 64 KiB chunks. */
function randomStream(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(65_536, total - sent);
      sent += n;
      this.push(randomBytes(n));
    },
  });
}

/**
 * largefileHandler: every request → 200 with 32 MiB of random bytes, chunked, no Content-Length (docs/lab.md).
 * Lab extension (a server that is slow for everyone, the control included; docs/throttling.md): the query
 * `?bytes=N` (1..33554432) sends N bytes instead, and `?rate=R` (bytes/s, >= 1) paces them
 * (createRateLimit), e.g. `https://largefile.com/?bytes=262144&rate=65536`.
 */
export function largefileHandler(): SyncLabHandler {
  return (req: LabRequest) => {
    const q = new URLSearchParams(req.target.split('?')[1] ?? '');
    const bytes = Number(q.get('bytes') ?? LARGE_FILE_BYTES);
    const rate = Number(q.get('rate') ?? 0);
    const total = Number.isInteger(bytes) && bytes >= 1 && bytes <= LARGE_FILE_BYTES ? bytes : LARGE_FILE_BYTES;
    const pace = Number.isFinite(rate) && rate >= 1 ? rate : null;
    return largefileResponse(total, pace);
  };
}

function largefileResponse(total: number, pace: number | null): LabResponse {
  return {
    status: 200,
    headers: [
      ['Alt-Svc', ALT_SVC],
      ['Content-Type', 'application/octet-stream'],
      ['Date', WORLD_DATE],
    ],
    body: () => (pace === null ? randomStream(total) : randomStream(total).pipe(createRateLimit(pace))),
  };
}

const CLOUDFLARE_HEADERS: [string, string][] = [
  ['Alt-Svc', ALT_SVC],
  ['Cache-Control', 'private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0'],
  ['Cf-Ray', '68013f3b0c7d498b-SIN'],
  ['Content-Type', 'text/html; charset=UTF-8'],
  ['Date', WORLD_DATE],
  ['Expires', 'Thu, 01 Jan 1970 00:00:01 GMT'],
  ['Nel', '{"success_fraction":0,"report_to":"cf-nel","max_age":604800}'],
  [
    'Permissions-Policy',
    'accelerometer=(),autoplay=(),camera=(),clipboard-read=(),clipboard-write=(),fullscreen=(),geolocation=(),gyroscope=(),hid=(),interest-cohort=(),magnetometer=(),microphone=(),payment=(),publickey-credentials-get=(),screen-wake-lock=(),serial=(),sync-xhr=(),usb=()',
  ],
  [
    'Report-To',
    '{"endpoints":[{"url":"https:\\/\\/a.nel.cloudflare.com\\/report\\/v3?s=9SevtxfJtcGPMEGxphEr1sQHmEGpEnsQ5W4Qhy6ns8aRqSPQm%2BeiRdEd05hO4THbNXuGnE9Wb0TFofv60U%2FFDA9P5eCqihYMH%2Bd36I0f%2BJXuVRVnZaH5ANSv4LZou%2FbxGQs%3D"}],"group":"cf-nel","max_age":604800}',
  ],
  ['Server', 'cloudflare'],
  ['X-Frame-Options', 'SAMEORIG'],
];

/** cloudflareHandler: the probe's address gets 503 + the 8432-byte CAPTCHA, anyone else 200 + the Default Web Page (docs/lab.md); chunked, headers as recorded by OONI. */
export function cloudflareHandler(pages: Pages, probeAddress: string): SyncLabHandler {
  return (req) => {
    const isProbe = req.remoteAddress === probeAddress;
    const body = isProbe ? pages.captcha : pages.example;
    return { status: isProbe ? 503 : 200, headers: CLOUDFLARE_HEADERS, body: () => Readable.from([body]) };
  };
}

/** httpbinHandler: /redirect/N (302 relative chain, /redirect/0 → 200 empty), /broken-redirect-http(s) by client address, else 404 (docs/lab.md-6). */
export function httpbinHandler(probeAddress: string): SyncLabHandler {
  return (req: LabRequest) => {
    const path = req.target.split('?')[0] ?? '';
    const base: [string, string][] = [['Date', WORLD_DATE]];
    const m = /^\/redirect\/([^/]*)$/.exec(path);
    if (m) {
      const n = /^\d+$/.test(m[1] ?? '') ? Number(m[1]) : NaN;
      if (Number.isNaN(n)) return empty(400, base);
      if (n === 0) return empty(200, base);
      return empty(302, [...base, ['Location', `/redirect/${n - 1}`]]);
    }
    const isProbe = req.remoteAddress === probeAddress;
    if (path === '/broken-redirect-http') return empty(302, [...base, ['Location', isProbe ? 'http://' : 'http://www.example.com/']]);
    if (path === '/broken-redirect-https') return empty(302, [...base, ['Location', isProbe ? 'https://' : 'https://www.example.com/']]);
    return empty(404, base);
  };
}

function listenTcp(server: net.Server, host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function httpServer(handler: LabHandler): net.Server {
  return net.createServer((socket) => serveHttp(socket, socket.remoteAddress ?? '', handler));
}

function httpsServer(pair: PemPair, handler: LabHandler): tls.Server {
  return tls.createServer({ cert: pair.cert, key: pair.key, ALPNProtocols: ['http/1.1'] }, (socket) =>
    serveHttp(socket, socket.remoteAddress ?? '', handler),
  );
}

/**
 * badsslServer: TLS only; the certificate depends on the SNI (docs/lab.md): wrong.host →
 * trusted cert for `wrong-host.badssl.com`; expired → trusted cert valid only on 2017-07-16/17;
 * any other SNI (or none) → a cert for that name from a fresh untrusted CA made per connection.
 * Closes the connection right after the handshake (never speaks HTTP).
 */
export function badsslServer(spec: WorldSpec): tls.Server {
  const contexts = {
    wrong: tls.createSecureContext(spec.tls.badsslWrongHost),
    expired: tls.createSecureContext(spec.tls.badsslExpired),
  };
  return tls.createServer(
    {
      ALPNProtocols: ['http/1.1'],
      SNICallback: (servername, cb) => {
        if (servername === 'wrong.host.badssl.com') return cb(null, contexts.wrong);
        if (servername === 'expired.badssl.com') return cb(null, contexts.expired);
        const name = servername === '' ? 'untrusted-root.badssl.com' : servername;
        createLabCa('untrusted root')
          .then((ca) => issueLeaf(ca, [name]))
          .then((pair) => cb(null, tls.createSecureContext(pair)))
          .catch((err: Error) => cb(err, undefined));
      },
      // Used when the client sends no SNI at all: an untrusted self-made pair is not available
      // synchronously, so fall back to the wrong-host pair (still a verification failure).
      cert: spec.tls.badsslWrongHost.cert,
      key: spec.tls.badsslWrongHost.key,
    },
    (socket) => {
      socket.on('error', () => undefined);
      socket.end();
    },
  );
}

/**
 * ipv6Aliases maps each IPv4 address of `table` to the IPv6 addresses listed beside it (a record
 * with both `a` and `aaaa`), so a server on the IPv4 address also listens on those IPv6 addresses
 * (a dual-stack host). Pure.
 */
export function ipv6Aliases(table: Record<string, { a?: string[]; aaaa?: string[] }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const record of Object.values(table)) {
    for (const v4 of record.a ?? []) {
      const list = out.get(v4) ?? [];
      for (const v6 of record.aaaa ?? []) if (!list.includes(v6)) list.push(v6);
      out.set(v4, list);
    }
  }
  return out;
}

/**
 * newsHandler: the dynamic news site (ours): every request gets 200 and a fresh page whose title
 * carries an update number and whose body alternates between 12 and 60 headlines (so two fetches
 * differ in body length by far more than OONI's 0.7 proportion and in title), with the same headers.
 */
export function newsHandler(): SyncLabHandler {
  let n = 0;
  return () => {
    n += 1;
    const items = n % 2 === 1 ? 12 : 60;
    const lines = Array.from({ length: items }, (_, i) => `<li id="h${n}-${i}">Headline ${i + 1} of update ${n}: ${randomBytes(12).toString('hex')}</li>`);
    const body = Buffer.from(`<!doctype html>\n<html><head><title>Live news, update ${n}</title></head>\n<body><ul>\n${lines.join('\n')}\n</ul></body></html>\n`);
    return page(200, body, [['Cache-Control', 'no-store']]);
  };
}

/**
 * startWebServers starts every web server of the world on its real address and ports, and on the
 * IPv6 addresses the global DNS table lists beside that address (ipv6Aliases; world changes may add
 * AAAA records). Resolves to the servers; rejects with the first listen error (e.g. EADDRNOTAVAIL if
 * an address is not on lo).
 */
export async function startWebServers(spec: WorldSpec, pages: Pages): Promise<net.Server[]> {
  const p = spec.probeAddress;
  const plan: [() => net.Server, string, number][] = [
    [() => httpServer(exampleHandler(pages)), HOSTS.example, 80],
    [() => httpsServer(spec.tls.example, exampleHandler(pages)), HOSTS.example, 443],
    [() => httpServer(blockpageHandler(pages)), HOSTS.blockpage, 80],
    [() => httpsServer(spec.tls.bitly, bitlyHandler()), HOSTS.bitly, 443],
    [() => badsslServer(spec), HOSTS.badssl, 443],
    [() => httpServer(yandexHandler(pages)), HOSTS.yandex, 80],
    [() => httpsServer(spec.tls.yandex, yandexHandler(pages)), HOSTS.yandex, 443],
    [() => httpServer(largefileHandler()), HOSTS.largefile, 80],
    [() => httpsServer(spec.tls.largefile, largefileHandler()), HOSTS.largefile, 443],
    [() => httpServer(cloudflareHandler(pages, p)), HOSTS.cloudflareCache, 80],
    [() => httpsServer(spec.tls.cloudflareCache, cloudflareHandler(pages, p)), HOSTS.cloudflareCache, 443],
    [() => httpServer(httpbinHandler(p)), HOSTS.httpbin, 80],
    [() => httpsServer(spec.tls.httpbin, httpbinHandler(p)), HOSTS.httpbin, 443],
    [() => httpServer(newsHandler()), HOSTS.news, 80],
    [() => hostileHttpServer(), HOSTS.hostile, 80],
    [() => hostileTlsServer(), HOSTS.hostile, 443],
    [() => hugeChainServer(spec.tls.hostile), HOSTS.hostile, 4443],
    [() => httpServer(ispHttpProxyHandler(spec.dns.global, WORLD_DATE)), HOSTS.ispProxy, 80],
    [() => ispSniProxyServer(spec.dns.global), HOSTS.ispProxy, 443],
  ];
  const aliases = ipv6Aliases(spec.dns.global);
  const listeners = plan.flatMap(([make, host, port]) => [host, ...(aliases.get(host) ?? [])].map((addr) => listenTcp(make(), addr, port)));
  return Promise.all(listeners);
}
