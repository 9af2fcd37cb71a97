/**
 * world-extra: the bench's extra web servers, run inside the lab's world namespace
 * (`node --import tsx bench/world-extra.ts <spec.json>` through `lab.spawnInWorld`). One HTTP (:80)
 * and one HTTPS (:443, a wildcard certificate from the bench CA) server per address in the spec,
 * each answering ANY Host with 200 and the byte-exact example page (fixtures/pages/example_page.html),
 * like docs/lab.md's example server but for thousands of host names. Addresses listed in
 * `closed` get nothing (connections to them are refused by the kernel: a site that is down).
 * Prints `{"event":"ready"}` on stdout once every server listens; exits on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';

/** WorldExtraSpec: what world-extra serves (written by bench/run.ts). */
export interface WorldExtraSpec {
  /** Addresses (already on the world's `lo`) that get an HTTP and an HTTPS server. */
  serve: string[];
  /** The bench CA-issued wildcard pair (PEM) for the HTTPS servers. */
  cert: string;
  key: string;
  /** Absolute path of the page served for every request. */
  pagePath: string;
}

const WORLD_DATE = 'Thu, 24 Aug 2023 14:35:29 GMT';

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve());
  });
}

async function main(specPath: string): Promise<void> {
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as WorldExtraSpec;
  const page = readFileSync(spec.pagePath);
  const handler: http.RequestListener = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': page.length, Date: WORLD_DATE, Connection: 'close' });
    res.end(page);
  };
  const servers: net.Server[] = [];
  for (const ip of spec.serve) {
    const h = http.createServer({ keepAlive: false }, handler);
    const s = https.createServer({ cert: spec.cert, key: spec.key, ALPNProtocols: ['http/1.1'] }, handler);
    await listen(h, ip, 80);
    await listen(s, ip, 443);
    servers.push(h, s);
  }
  process.stdout.write(`${JSON.stringify({ event: 'ready', listeners: servers.length })}\n`);
  const stop = (): void => process.exit(0);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

const specPath = process.argv[2];
if (specPath === undefined) {
  process.stderr.write('usage: world-extra <spec.json>\n');
  process.exit(2);
}
main(specPath).catch((err: unknown) => {
  process.stderr.write(`world-extra: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
