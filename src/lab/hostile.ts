/**
 * hostile: the lab's hostile servers (docs/lab.md "Hostile corpus"). One address, HOSTS.hostile,
 * serves plain HTTP on port 80 (the behaviour is chosen by the request path) and raw TCP on port
 * 443 (chosen by the ClientHello's SNI); the lab resolvers answer the `*.dns.hostile-lab.net`
 * names with malformed or hostile replies. Each behaviour is something a real server or resolver
 * on the internet can do to a probe: never end, drip, bomb, overflow a parser, loop, reset.
 *
 * The behaviours are listed in {@link HOSTILE_CORPUS} with what the probe must end with; the lab
 * test runs them all at once through the CLI (test/lab/hostile.test.ts).
 */
import { promisify } from 'node:util';
import { brotliCompress, constants as zc, gzip } from 'node:zlib';
import net from 'node:net';
import tls from 'node:tls';
import dnsPacket from 'dns-packet';
import type { Packet } from 'dns-packet';
import { parseClientHello } from './client-hello.js';
import type { PemPair } from './lab-ca.js';
import { HOSTILE_TLS_NAMES, HOSTS } from './world-hosts.js';

/** The hostile domain; every name under it resolves to HOSTILE_ADDRESS (except the DNS ones). */
export const HOSTILE_DOMAIN = 'hostile-lab.net';
/** The hostile web host (public-looking, not a bogon; on the world's `lo`). */
export const HOSTILE_ADDRESS = HOSTS.hostile;
/** The HTTP host name: `http://www.hostile-lab.net/<behaviour>`. */
export const HOSTILE_WWW = `www.${HOSTILE_DOMAIN}`;

/**
 * HostileExpectation: what the probe's report must show for the behaviour's URL.
 * - `failures`: the final HTTP (or DNS) failure must be one of these (vocabulary strings; a
 *   prefix ending in ':' matches `unknown_failure: …` details); with `orNone`, no failure is fine too.
 * - `truncated`: the request succeeded and the body was cut at the probe's cap (with `orTimeout`,
 *   `generic_timeout_error` is accepted too).
 * - `ok`: the request succeeded (e.g. a compression bomb the probe never inflates).
 */
export type HostileExpectation = { failures: string[]; orNone?: true } | { truncated: true; orTimeout?: true } | { ok: true };

/** HostileCase: one hostile behaviour: its URL and what the probe must end with. */
export interface HostileCase {
  name: string;
  url: string;
  /** Where the failure is read from: the HTTP experiment (default) or the DNS experiment. */
  layer?: 'http' | 'dns';
  expect: HostileExpectation;
}

const TIMEOUT = 'generic_timeout_error';
const UNKNOWN = 'unknown_failure:';
const www = (path: string): string => `http://${HOSTILE_WWW}/${path}`;
const tlsName = (label: string): string => `${label}.tls.${HOSTILE_DOMAIN}`;
const dnsName = (label: string): string => `${label}.dns.${HOSTILE_DOMAIN}`;

/** The TLS behaviours, by the first label of the SNI. */
export const HOSTILE_TLS_LABELS: readonly string[] = HOSTILE_TLS_NAMES.map((n) => n.split('.')[0] ?? '');

/**
 * HOSTILE_CORPUS: every hostile behaviour of the lab with the probe's expected ending. The HTTP
 * failures name what undici/llhttp report (parse errors are `unknown_failure: …` with the parser's
 * code); a timeout is the probe's own `--http-timeout`.
 */
export const HOSTILE_CORPUS: readonly HostileCase[] = [
  // Truncated at the cap; on a starved machine the HTTP timeout may come first, also a bounded end.
  { name: 'endless body (Content-Length 10^10)', url: www('endless-body'), expect: { truncated: true, orTimeout: true } },
  { name: 'endless chunked stream', url: www('endless-chunked'), expect: { truncated: true, orTimeout: true } },
  { name: 'body at 1 byte/s', url: www('one-byte-per-second'), expect: { failures: [TIMEOUT] } },
  { name: 'status line at 1 byte/s', url: www('slow-headers'), expect: { failures: [TIMEOUT] } },
  { name: 'no response at all', url: www('no-response'), expect: { failures: [TIMEOUT] } },
  { name: 'gzip bomb (64 MiB of zeros)', url: www('gzip-bomb'), expect: { ok: true } },
  { name: 'brotli bomb (64 MiB of zeros)', url: www('brotli-bomb'), expect: { ok: true } },
  { name: '10,000 headers', url: www('many-headers'), expect: { failures: [UNKNOWN, 'eof_error', 'connection_reset'] } },
  { name: 'a 1 MiB header line', url: www('huge-header-line'), expect: { failures: [UNKNOWN, 'eof_error', 'connection_reset'] } },
  { name: 'endless header block', url: www('endless-headers'), expect: { failures: [UNKNOWN, 'eof_error', 'connection_reset'] } },
  { name: 'HTTP/0.9 (a body without a status line)', url: www('http09'), expect: { failures: [UNKNOWN, 'eof_error'] } },
  { name: 'malformed status line', url: www('bad-status-line'), expect: { failures: [UNKNOWN, 'eof_error'] } },
  { name: 'status code 99999', url: www('bad-status-code'), expect: { failures: [UNKNOWN, 'eof_error'] } },
  { name: 'binary garbage instead of HTTP', url: www('garbage'), expect: { failures: [UNKNOWN, 'eof_error'] } },
  { name: 'bad chunk size', url: www('bad-chunk-size'), expect: { failures: [UNKNOWN, 'eof_error'] } },
  { name: 'chunk size overflowing 64 bits', url: www('huge-chunk-size'), expect: { failures: [UNKNOWN, 'eof_error'] } },
  { name: 'two different Content-Length headers', url: www('conflicting-length'), expect: { failures: [UNKNOWN, 'eof_error'] } },
  { name: 'NUL byte in a header', url: www('nul-header'), expect: { failures: [UNKNOWN, 'eof_error'] } },
  { name: 'endless 100 Continue responses', url: www('endless-continue'), expect: { failures: [TIMEOUT, UNKNOWN, 'eof_error'] } },
  { name: '50-hop redirect chain', url: www('redirect-chain/0'), expect: { failures: ['unknown_failure: stopped after too many redirects'] } },
  { name: 'redirect to itself', url: www('redirect-self'), expect: { failures: ['unknown_failure: stopped after too many redirects'] } },
  { name: 'Location: javascript:', url: www('location-javascript'), expect: { failures: [UNKNOWN, 'http_invalid_redirect_location_host'] } },
  { name: 'Location: data:', url: www('location-data'), expect: { failures: [UNKNOWN, 'http_invalid_redirect_location_host'] } },
  { name: 'Location: file:', url: www('location-file'), expect: { failures: [UNKNOWN, 'http_invalid_redirect_location_host'] } },
  { name: 'Location: ftp:', url: www('location-ftp'), expect: { failures: [UNKNOWN, 'http_invalid_redirect_location_host'] } },
  { name: 'a 64 KiB Location', url: www('location-huge'), expect: { failures: [UNKNOWN, 'eof_error', 'connection_reset'] } },
  // The RST races undici's own view of the short body: either failure is seen (docs/lab.md).
  { name: 'reset in the middle of the body', url: www('reset-mid-body'), expect: { failures: ['connection_reset', 'eof_error'] } },
  { name: 'close in the middle of the body', url: www('close-mid-body'), expect: { failures: ['eof_error'] } },
  { name: 'close before any response', url: www('close-at-once'), expect: { failures: ['eof_error'] } },
  { name: 'TLS server that stalls after the ClientHello', url: `https://${tlsName('stall')}/`, expect: { failures: [TIMEOUT] } },
  { name: 'TLS server that stalls inside its ServerHello', url: `https://${tlsName('half-hello')}/`, expect: { failures: [TIMEOUT] } },
  { name: 'plaintext HTTP on port 443', url: `https://${tlsName('plaintext')}/`, expect: { failures: ['ssl_failed_handshake', UNKNOWN, 'eof_error'] } },
  { name: 'TLS reset after the ClientHello', url: `https://${tlsName('reset')}/`, expect: { failures: ['connection_reset'] } },
  { name: 'huge certificate chain (~600 KiB)', url: `https://${tlsName('hugechain')}:4443/`, expect: { failures: ['ssl_failed_handshake', UNKNOWN, 'ssl_invalid_certificate', 'ssl_unknown_authority', 'eof_error', 'connection_reset'] } },
  { name: 'TLS record with an absurd length', url: `https://${tlsName('garbage-record')}/`, expect: { failures: ['ssl_failed_handshake', UNKNOWN, 'eof_error'] } },
  { name: 'DNS reply truncated (TC, no answer)', url: `http://${dnsName('truncated')}/`, layer: 'dns', expect: { failures: ['dns_no_answer', 'dns_server_misbehaving', TIMEOUT, UNKNOWN] } },
  // A 13 KiB reply is well formed: a resolver may accept it (glibc and ours do) or refuse it.
  { name: 'DNS reply oversized (300 A records, 13 KiB)', url: `http://${dnsName('oversized')}/`, layer: 'dns', expect: { failures: [], orNone: true } },
  { name: 'DNS name compression loop', url: `http://${dnsName('compression-loop')}/`, layer: 'dns', expect: { failures: ['dns_server_misbehaving', TIMEOUT, UNKNOWN, 'dns_no_answer', 'dns_nxdomain_error'] } },
  { name: 'DNS reply cut in the middle of a record', url: `http://${dnsName('cut')}/`, layer: 'dns', expect: { failures: ['dns_server_misbehaving', TIMEOUT, UNKNOWN, 'dns_no_answer'] } },
  { name: 'DNS reply of random bytes', url: `http://${dnsName('garbage')}/`, layer: 'dns', expect: { failures: ['dns_server_misbehaving', TIMEOUT, UNKNOWN, 'dns_no_answer'] } },
  { name: 'DNS CNAME loop', url: `http://${dnsName('cname-loop')}/`, layer: 'dns', expect: { failures: ['dns_no_answer', 'dns_server_misbehaving', TIMEOUT, UNKNOWN, 'dns_nxdomain_error'] } },
];

// ---------------------------------------------------------------------------------------------
// HTTP on port 80: read the request head (at most 16 KiB), then act by path.

const HEAD_CAP = 16 * 1024;
/** Largest amount a behaviour writes before it must see backpressure relieved (bounds world memory). */
const BLOCK = Buffer.alloc(16 * 1024, 'a');

/**
 * makeBombs: 64 MiB of zeros compressed, built off the event loop (zlib's thread pool) so the
 * world's other servers never stall: gzip as 64 members of 1 MiB each (a multi-member gzip stream
 * is one valid body, RFC 1952 section 2.2), brotli at quality 1 (~12 KiB).
 */
async function makeBombs(): Promise<{ gzip: Buffer; br: Buffer }> {
  const mib = Buffer.alloc(1024 * 1024);
  const [member, br] = await Promise.all([
    promisify(gzip)(mib, { level: 9 }),
    promisify(brotliCompress)(Buffer.alloc(64 * 1024 * 1024), { params: { [zc.BROTLI_PARAM_QUALITY]: 1 } }),
  ]);
  return { gzip: Buffer.concat(Array.from({ length: 64 }, () => member)), br };
}

/**
 * pump writes `next()` blocks while the socket accepts them, forever (or until it closes). At most
 * 8 blocks per turn of the event loop: a fast reader on loopback (the helper) would otherwise keep
 * the world process writing and starve its other servers.
 */
function pump(socket: net.Socket, next: () => Buffer): void {
  const go = (): void => {
    for (let i = 0; i < 8; i++) {
      if (socket.destroyed || !socket.writable) return;
      if (!socket.write(next())) return void socket.once('drain', go);
    }
    setImmediate(go);
  };
  go();
}

/** drip writes `bytes` one byte a second; stops when the socket closes. */
function drip(socket: net.Socket, bytes: Buffer): void {
  let i = 0;
  const t = setInterval(() => {
    if (socket.destroyed || i >= bytes.length) return void clearInterval(t);
    socket.write(bytes.subarray(i, i + 1));
    i++;
  }, 1000);
  socket.once('close', () => clearInterval(t));
}

const head = (lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;
const redirect = (location: string): string => head(['HTTP/1.1 302 Found', `Location: ${location}`, 'Content-Length: 0']);

function actHttp(socket: net.Socket, path: string, bombs: Promise<{ gzip: Buffer; br: Buffer }>): void {
  const chain = /^\/redirect-chain\/(\d{1,3})$/.exec(path);
  if (chain) {
    const n = Number(chain[1]);
    socket.end(n >= 50 ? head(['HTTP/1.1 200 OK', 'Content-Length: 2']) + 'ok' : redirect(`/redirect-chain/${n + 1}`));
    return;
  }
  switch (path) {
    case '/endless-body':
      socket.write(head(['HTTP/1.1 200 OK', 'Content-Type: text/html', 'Content-Length: 10000000000']));
      return pump(socket, () => BLOCK);
    case '/endless-chunked': {
      socket.write(head(['HTTP/1.1 200 OK', 'Content-Type: text/html', 'Transfer-Encoding: chunked']));
      const chunk = Buffer.concat([Buffer.from(`${BLOCK.length.toString(16)}\r\n`), BLOCK, Buffer.from('\r\n')]);
      return pump(socket, () => chunk);
    }
    case '/one-byte-per-second':
      socket.write(head(['HTTP/1.1 200 OK', 'Content-Type: text/html', 'Content-Length: 1000']));
      return drip(socket, Buffer.alloc(1000, 'a'));
    case '/slow-headers':
      return drip(socket, Buffer.from(head(['HTTP/1.1 200 OK', 'Content-Length: 0'])));
    case '/no-response':
      return;
    case '/gzip-bomb':
    case '/brotli-bomb': {
      const gz = path === '/gzip-bomb';
      void bombs.then((b) => {
        const body = gz ? b.gzip : b.br;
        socket.end(Buffer.concat([Buffer.from(head(['HTTP/1.1 200 OK', 'Content-Type: text/html', `Content-Encoding: ${gz ? 'gzip' : 'br'}`, `Content-Length: ${body.length}`])), body]));
      });
      return;
    }
    case '/many-headers': {
      const lines = ['HTTP/1.1 200 OK', ...Array.from({ length: 10_000 }, (_, i) => `X-H${i}: v`), 'Content-Length: 0'];
      socket.end(head(lines));
      return;
    }
    case '/huge-header-line':
      socket.end(head(['HTTP/1.1 200 OK', `X-Big: ${'b'.repeat(1024 * 1024)}`, 'Content-Length: 0']));
      return;
    case '/endless-headers': {
      socket.write('HTTP/1.1 200 OK\r\n');
      let i = 0;
      return pump(socket, () => Buffer.from(`X-Endless-${i++}: ${'e'.repeat(200)}\r\n`));
    }
    case '/http09':
      socket.end('<html><head><title>zero nine</title></head><body>HTTP/0.9 has no status line</body></html>\n');
      return;
    case '/bad-status-line':
      socket.end('HTTP/1.1 OK\r\nContent-Length: 2\r\n\r\nok');
      return;
    case '/bad-status-code':
      socket.end('HTTP/1.1 99999 Very OK\r\nContent-Length: 2\r\n\r\nok');
      return;
    case '/garbage':
      socket.end(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a, 0x80, 0x81, 0xfe]));
      return;
    case '/bad-chunk-size':
      socket.end(head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + 'zz\r\nhello\r\n0\r\n\r\n');
      return;
    case '/huge-chunk-size':
      socket.end(head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']) + 'ffffffffffffffffffff\r\nhello\r\n');
      return;
    case '/conflicting-length':
      socket.end(head(['HTTP/1.1 200 OK', 'Content-Length: 2', 'Content-Length: 5']) + 'hello');
      return;
    case '/nul-header':
      socket.end(head(['HTTP/1.1 200 OK', 'X-Nul: a\u0000b', 'Content-Length: 2']) + 'ok');
      return;
    case '/endless-continue': {
      const cont = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');
      return pump(socket, () => cont);
    }
    case '/redirect-self':
      socket.end(redirect('/redirect-self'));
      return;
    case '/location-javascript':
      socket.end(redirect('javascript:alert(1)'));
      return;
    case '/location-data':
      socket.end(redirect('data:text/html,<h1>hi</h1>'));
      return;
    case '/location-file':
      socket.end(redirect('file:///etc/passwd'));
      return;
    case '/location-ftp':
      socket.end(redirect('ftp://ftp.hostile-lab.net/pub/'));
      return;
    case '/location-huge':
      socket.end(redirect(`/${'l'.repeat(64 * 1024)}`));
      return;
    case '/reset-mid-body':
      socket.write(head(['HTTP/1.1 200 OK', 'Content-Length: 100000']) + 'x'.repeat(1000), () => setTimeout(() => socket.resetAndDestroy(), 50));
      return;
    case '/close-mid-body':
      socket.end(head(['HTTP/1.1 200 OK', 'Content-Length: 100000']) + 'x'.repeat(1000));
      return;
    case '/close-at-once':
      socket.end();
      return;
    default:
      socket.end(head(['HTTP/1.1 404 Not Found', 'Content-Length: 0']));
  }
}

/** hostileHttpServer: port 80 of HOSTILE_ADDRESS; one request per connection, behaviour by path. */
export function hostileHttpServer(): net.Server {
  const bombs = makeBombs();
  return net.createServer((socket) => {
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > HEAD_CAP) socket.destroy();
        return;
      }
      socket.off('data', onData);
      socket.resume(); // discard anything else the client sends
      const path = /^[A-Z]+ (\S+) HTTP\//.exec(buf.subarray(0, end).toString('latin1'))?.[1] ?? '/';
      actHttp(socket, path, bombs);
    };
    socket.on('data', onData);
  });
}

// ---------------------------------------------------------------------------------------------
// TLS on port 443: read the ClientHello, act by the SNI's first label.

/**
 * hugeChainServer: port 4443 of HOSTILE_ADDRESS, a real TLS server whose certificate list is the
 * lab-CA leaf `pair` repeated to about 600 KiB (past OpenSSL's default 100 KiB limit on a peer's
 * certificate list). Its own port: Node's TLS server cannot take over a socket whose first bytes
 * were already read, so it cannot share port 443's SNI dispatch.
 */
export function hugeChainServer(pair: PemPair): tls.Server {
  const pem = `${pair.cert.trim()}\n`;
  const hugeChain = pem.repeat(Math.ceil((600 * 1024) / pem.length));
  const huge = tls.createServer({ cert: hugeChain, key: pair.key, ALPNProtocols: ['http/1.1'] }, (s) => {
    s.on('error', () => undefined);
    s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  huge.on('tlsClientError', () => undefined);
  return huge;
}

/** hostileTlsServer: port 443 of HOSTILE_ADDRESS, raw TCP; the behaviour is the SNI's first label. */
export function hostileTlsServer(): net.Server {
  return net.createServer((socket) => {
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const hello = parseClientHello(buf);
      if (hello.state === 'incomplete' && buf.length < 64 * 1024) return;
      socket.off('data', onData);
      const label = hello.state === 'done' ? (hello.sni ?? '').split('.')[0] : '';
      switch (label) {
        case 'stall':
          socket.resume();
          return;
        case 'half-hello':
          // A handshake record header announcing 90 bytes, then the first 6 of a ServerHello, then nothing.
          socket.write(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x5a, 0x02, 0x00, 0x00, 0x56, 0x03, 0x03]));
          socket.resume();
          return;
        case 'plaintext':
          socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
          return;
        case 'reset':
          socket.resetAndDestroy();
          return;
        case 'garbage-record':
          socket.end(Buffer.from([0x16, 0x03, 0x03, 0xff, 0xff, 0x02, 0xff, 0xff, 0xff]));
          return;
        default:
          socket.destroy();
      }
    };
    socket.on('data', onData);
  });
}

// ---------------------------------------------------------------------------------------------
// DNS: hostile replies for `<label>.dns.hostile-lab.net`.

/**
 * hostileDnsReply: the reply bytes for a query about a hostile DNS name, `undefined` when `query`
 * is not about one (the resolver answers normally), `null` to send nothing. Pure.
 */
export function hostileDnsReply(query: Packet): Buffer | null | undefined {
  const q = query.questions?.[0];
  const name = (q?.name ?? '').toLowerCase().replace(/\.$/, '');
  const suffix = `.dns.${HOSTILE_DOMAIN}`;
  if (q === undefined || !name.endsWith(suffix)) return undefined;
  const label = name.slice(0, -suffix.length);
  const id = query.id ?? 0;
  const base = (answers: Packet['answers'], flags = 0): Buffer =>
    dnsPacket.encode({ type: 'response', id, flags: dnsPacket.RECURSION_AVAILABLE | dnsPacket.RECURSION_DESIRED | flags, questions: [q], answers: answers ?? [] });
  switch (label) {
    case 'truncated':
      return base([], dnsPacket.TRUNCATED_RESPONSE);
    case 'oversized':
      return base(q.type === 'A' ? Array.from({ length: 300 }, (_, i) => ({ type: 'A' as const, name: q.name, ttl: 60, data: `45.79.${20 + (i >> 8)}.${i & 0xff}` })) : []);
    case 'compression-loop': {
      // Header (ANCOUNT 1), the question, then an answer whose name is a pointer to itself.
      const ok = base([]);
      const answerAt = ok.length;
      const rr = Buffer.from([0xc0 | (answerAt >> 8), answerAt & 0xff, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 45, 79, 20, 66]);
      const out = Buffer.concat([ok, rr]);
      out.writeUInt16BE(1, 6);
      return out;
    }
    case 'cut': {
      const full = base(q.type === 'A' ? [{ type: 'A', name: q.name, ttl: 60, data: HOSTILE_ADDRESS }] : []);
      return full.subarray(0, full.length - 3);
    }
    case 'garbage': {
      const g = Buffer.from([0, 0, 0x81, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xff, 0x3f, 0x41]);
      g.writeUInt16BE(id, 0);
      return g;
    }
    case 'cname-loop':
      return base([{ type: 'CNAME', name: q.name, ttl: 60, data: q.name }]);
    default:
      return base([], 3);
  }
}
