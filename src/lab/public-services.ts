/**
 * public-services: the well-known services the probe's baseline checks and default DNS control
 * expect (docs/network-state.md), on their real addresses in the lab world:
 * - DNS-over-HTTPS (RFC 8484: POST and GET `/dns-query`, `application/dns-message`) and a verified
 *   TLS handshake on 1.1.1.1, 8.8.8.8 and 9.9.9.9 port 443, with lab-CA certificates for the
 *   providers' names and their addresses as IP SANs (the real certificates carry them too), answering
 *   from the global (uncensored) table: DoH is encrypted, so the lab's DNS forgery does not apply;
 * - Android's `generate_204` on connectivitycheck.gstatic.com:80 and www.google.com:80 (204,
 *   empty body);
 * - Apple's captive-portal success page on captive.apple.com:80 and :443.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { answerQuery } from './dns-server.js';
import type { LabCa, PemPair } from './lab-ca.js';
import { issueLeaf } from './lab-ca.js';
import { PUBLIC_SERVICE_HOSTS, type DnsTable } from './world-hosts.js';

/** The DoH providers: address, certificate names. */
export const DOH_PROVIDERS = [
  { ip: '1.1.1.1', names: ['cloudflare-dns.com', 'one.one.one.one', '1dot1dot1dot1.cloudflare-dns.com'] },
  { ip: '8.8.8.8', names: ['dns.google', 'dns.google.com', '8888.google'] },
  { ip: '9.9.9.9', names: ['dns.quad9.net', 'dns9.quad9.net'] },
] as const;

/** Apple's success page, byte for byte as captive.apple.com serves it. */
export const APPLE_SUCCESS_PAGE = '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>\n';

/** TLS material of the public services (made with the lab CA). */
export interface PublicServicesTls {
  doh: { ip: string; pair: PemPair }[];
  apple: PemPair;
}

/** Issues the public services' leaves with `ca`. */
export async function makePublicServicesTls(ca: LabCa): Promise<PublicServicesTls> {
  const doh = await Promise.all(DOH_PROVIDERS.map(async (p) => ({ ip: p.ip, pair: await issueLeaf(ca, [...p.names], { ips: [p.ip] }) })));
  return { doh, apple: await issueLeaf(ca, ['captive.apple.com']) };
}

/** Largest DoH request body accepted, bytes. */
const MAX_QUERY_BYTES = 4096;

function dohHandler(table: DnsTable): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x/');
    const send = (query: Buffer): void => {
      const reply = answerQuery(query, req.socket.remoteAddress ?? '', { address: '', table });
      if (reply === null) {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/dns-message', 'content-length': reply.length, 'cache-control': 'max-age=300' }).end(reply);
    };
    if (url.pathname !== '/dns-query') {
      res.writeHead(404).end();
      return;
    }
    if (req.method === 'GET') {
      const dns = url.searchParams.get('dns');
      if (dns === null) res.writeHead(400).end();
      else send(Buffer.from(dns, 'base64url'));
      return;
    }
    if (req.method !== 'POST' || (req.headers['content-type'] ?? '') !== 'application/dns-message') {
      res.writeHead(415).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_QUERY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => send(Buffer.concat(chunks)));
  };
}

const generate204: http.RequestListener = (req, res) => {
  if ((req.url ?? '').startsWith('/generate_204')) res.writeHead(204).end();
  else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
};

const appleSuccess: http.RequestListener = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(APPLE_SUCCESS_PAGE) }).end(APPLE_SUCCESS_PAGE);
};

function listen(server: net.Server, host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * startPublicServices starts every public service on its address (which must be on the world's
 * `lo`). `table` is the global DNS table the DoH servers answer from. Resolves to the servers;
 * rejects with the first listen error.
 */
export async function startPublicServices(material: PublicServicesTls, table: DnsTable): Promise<net.Server[]> {
  const servers: Promise<net.Server>[] = material.doh.map((d) => listen(https.createServer({ cert: d.pair.cert, key: d.pair.key }, dohHandler(table)), d.ip, 443));
  servers.push(listen(http.createServer(generate204), PUBLIC_SERVICE_HOSTS.gstatic, 80));
  servers.push(listen(http.createServer(generate204), PUBLIC_SERVICE_HOSTS.google, 80));
  servers.push(listen(http.createServer(appleSuccess), PUBLIC_SERVICE_HOSTS.apple, 80));
  servers.push(listen(https.createServer({ cert: material.apple.cert, key: material.apple.key }, appleSuccess), PUBLIC_SERVICE_HOSTS.apple, 443));
  return Promise.all(servers);
}
