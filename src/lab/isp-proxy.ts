/**
 * isp-proxy: the ISP's transparent proxy at 130.192.182.17 (docs/lab.md), which a DNS
 * hijack points names at. It resolves with the global table (the truth) and connects from the
 * world namespace (uncensored).
 * - TCP 80: an HTTP proxy. No Host or an existing `Via` → 400; methods other than GET → 501
 *   (CONNECT tunnelling is not built); otherwise it adds `Via: testingx/0.1.0`, fetches
 *   `http://<Host><target>` and returns the upstream status and body with only Content-Length,
 *   Content-Type and Date (the original's header-dropping bug, kept on purpose); upstream failure → 502.
 * - TCP 443: an SNI proxy: it reassembles the ClientHello, connects to `<SNI>:443`, replays the
 *   hello and splices, so TLS is end to end with the real server.
 */
import http from 'node:http';
import net from 'node:net';
import { parseClientHello } from './client-hello.js';
import type { LabHandler, LabResponse } from './http-responder.js';
import type { DnsTable } from './world-hosts.js';

/** The Via value the proxy adds (docs/lab.md). */
export const PROXY_VIA = 'testingx/0.1.0';
/** Most bytes the proxy reads from an upstream body (protects the lab from the 32 MiB file). */
export const PROXY_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Upstream budget of the proxy, ms. */
export const PROXY_TIMEOUT_MS = 10_000;

function lookupIn(table: DnsTable, host: string): string | null {
  return table[host.toLowerCase().replace(/\.$/, '')]?.a?.[0] ?? null;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** ispHttpProxyHandler: the port-80 behaviour described above; `table` is the global DNS table, `date` the Date header. */
export function ispHttpProxyHandler(table: DnsTable, date: string): LabHandler {
  return (req) => {
    const plain = (status: number): LabResponse => ({ status, headers: [['Content-Length', '0'], ['Date', date]] });
    if (req.host === null || req.headers.some(([k]) => k.toLowerCase() === 'via')) return plain(400);
    if (req.method !== 'GET') return plain(501);
    const ip = lookupIn(table, req.host);
    if (ip === null) return plain(502);
    const headers: Record<string, string> = {};
    for (const [k, v] of req.headers) if (!HOP_BY_HOP.has(k.toLowerCase())) headers[k] = v;
    headers['Via'] = PROXY_VIA;
    return new Promise<LabResponse>((resolve) => {
      const upstream = http.request(
        { host: ip, port: 80, path: req.target, method: 'GET', headers, agent: false, timeout: PROXY_TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < PROXY_MAX_BODY_BYTES) chunks.push(c.subarray(0, PROXY_MAX_BODY_BYTES - size));
            size += c.length;
            if (size >= PROXY_MAX_BODY_BYTES) res.destroy();
          });
          const finish = (): void => {
            const body = Buffer.concat(chunks);
            const out: [string, string][] = [['Content-Length', String(body.length)]];
            const ct = res.headers['content-type'];
            if (ct !== undefined) out.push(['Content-Type', ct]);
            out.push(['Date', date]);
            resolve({ status: res.statusCode ?? 502, headers: out, body });
          };
          res.on('end', finish);
          res.on('close', finish);
        },
      );
      upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
      upstream.on('error', () => resolve(plain(502)));
      upstream.end();
    });
  };
}

/** ispSniProxyServer: the port-443 SNI proxy; `table` is the global DNS table. Unknown or missing SNI → the client connection is reset. */
export function ispSniProxyServer(table: DnsTable): net.Server {
  return net.createServer((client) => {
    let buf = Buffer.alloc(0);
    client.on('error', () => undefined);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const hello = parseClientHello(buf);
      if (hello.state === 'incomplete') return;
      client.removeListener('data', onData);
      client.pause();
      const ip = hello.state === 'done' && hello.sni !== null ? lookupIn(table, hello.sni) : null;
      if (ip === null) {
        client.resetAndDestroy();
        return;
      }
      const upstream = net.connect({ host: ip, port: 443 }, () => {
        upstream.write(buf);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => {
        if (!client.destroyed) client.resetAndDestroy();
      });
      client.on('close', () => upstream.destroy());
    };
    client.on('data', onData);
  });
}
