/**
 * Loopback servers for tests (127.0.0.0/8 only, random ports): plain TCP, HTTP, HTTPS (HTTP/1.1
 * and h2), and a UDP DNS server written with dns-packet.
 */
import dgram from 'node:dgram';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type tls from 'node:tls';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import dnsPacket from 'dns-packet';
import type { TestCert } from './pki.js';

/** A running server: its address, port and `close()`. */
export interface Running {
  host: string;
  port: number;
  close(): Promise<void>;
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

function track(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  server.on('secureConnection', (s: net.Socket) => {
    s.on('error', () => undefined);
  });
  return sockets;
}

async function listen(server: net.Server, host: string, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** startTcpServer runs `onConnection` for every accepted socket. */
export async function startTcpServer(onConnection: (s: net.Socket) => void, host = '127.0.0.1'): Promise<Running> {
  const server = net.createServer(onConnection);
  const sockets = track(server);
  const port = await listen(server, host);
  return { host, port, close: closer(server, sockets) };
}

/** startHttpServer runs a node:http server with `handler`. */
export async function startHttpServer(handler: http.RequestListener, host = '127.0.0.1', port = 0): Promise<Running> {
  const server = http.createServer(handler);
  const sockets = track(server);
  const p = await listen(server, host, port);
  return { host, port: p, close: closer(server, sockets) };
}

/**
 * startHttpsServer runs an HTTPS server with `cert` and `handler`: HTTP/2 with HTTP/1.1 fallback
 * (node:http2, `h2` true, the default) or HTTP/1.1 only (node:https). `servernames` collects the
 * SNI of each accepted TLS connection (`false` when none was sent).
 */
export async function startHttpsServer(cert: TestCert, handler: (req: http2.Http2ServerRequest | http.IncomingMessage, res: http2.Http2ServerResponse | http.ServerResponse) => void, opts: { host?: string; port?: number; h2?: boolean } = {}): Promise<Running & { servernames: (string | false)[] }> {
  const servernames: (string | false)[] = [];
  const tlsOptions = { cert: cert.certPem, key: cert.keyPem };
  const server = (opts.h2 === false ? https.createServer(tlsOptions, handler as http.RequestListener) : http2.createSecureServer({ ...tlsOptions, allowHTTP1: true }, handler as never)) as unknown as net.Server;
  server.on('secureConnection', (s: tls.TLSSocket) => servernames.push((s as unknown as { servername: string | false }).servername));
  const sockets = track(server);
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, host, opts.port ?? 0);
  return { host, port, servernames, close: closer(server, sockets) };
}

/** What the DNS test server answers: a list of replies to send (each a packet), or [] to stay silent. */
export type DnsHandler = (query: dnsPacket.DecodedPacket) => dnsPacket.Packet[];

/** startDnsServer runs a UDP DNS server on 127.0.0.1 that sends the handler's replies in order (10 ms apart). */
export async function startDnsServer(handler: DnsHandler, host = '127.0.0.1'): Promise<Running & { queries: dnsPacket.DecodedPacket[] }> {
  const socket = dgram.createSocket('udp4');
  const queries: dnsPacket.DecodedPacket[] = [];
  let closed = false;
  socket.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    queries.push(q);
    handler(q).forEach((reply, i) => {
      // A reply still scheduled when the test closes the server is dropped (send would throw).
      setTimeout(() => closed || socket.send(dnsPacket.encode(reply), rinfo.port, rinfo.address), i * 10);
    });
  });
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  const port = socket.address().port;
  const close = (): Promise<void> => {
    closed = true;
    return new Promise((resolve) => socket.close(() => resolve()));
  };
  return { host, port, queries, close };
}

/** A reply to `q` with `rcode` (default NOERROR) and HTTPS records (type 65, raw RDATA) under its question's name. */
export function httpsReply(q: dnsPacket.DecodedPacket, rdata: Buffer[], rcode = 0, id?: number): dnsPacket.Packet {
  const name = q.questions?.[0]?.name ?? '';
  return { ...reply(q, [], rcode, id), answers: rdata.map((data) => ({ name, type: 'UNKNOWN_65', ttl: 300, class: 'IN', data }) as unknown as dnsPacket.Answer) };
}

/** A reply to `q` with `rcode` (default NOERROR) and the given records for its question. */
export function reply(q: dnsPacket.DecodedPacket, answers: { type: 'A' | 'AAAA' | 'CNAME'; data: string; ttl?: number; name?: string }[], rcode = 0, id?: number): dnsPacket.Packet {
  const name = q.questions?.[0]?.name ?? '';
  return {
    type: 'response',
    id: id ?? q.id ?? 0,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
    questions: q.questions ?? [],
    answers: answers.map((a) => ({ type: a.type, name: a.name ?? name, ttl: a.ttl ?? 300, class: 'IN' as const, data: a.data })),
  };
}
