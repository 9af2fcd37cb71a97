/**
 * The DNS-only control (no helper): an answer counts only when a resolver answered; failing to
 * reach a DoH resolver (its own name blocked, refused, ...) is never taken as an answer about the
 * target. Real DoH servers on loopback.
 */
import dnsPacket from 'dns-packet';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveReference } from '../../../src/control/dns-reference.js';
import { createClock } from '../../../src/net/clock.js';
import { createTestPki, type TestCert, type TestPki } from '../net/support/pki.js';
import { reply, startHttpsServer, type Running } from '../net/support/servers.js';

let pki: TestPki;
let cert: TestCert;
beforeAll(async () => {
  pki = await createTestPki();
  cert = await pki.issue({ dnsNames: ['doh.test'], ips: ['127.0.0.1'] });
});
const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

/** A DoH server answering NXDOMAIN (rcode 3) for every name. */
async function nxdomainServer(): Promise<string> {
  const srv = await startHttpsServer(cert, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const q = dnsPacket.decode(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/dns-message' });
      res.end(dnsPacket.encode(reply(q, [], 3)));
    });
  });
  running.push(srv);
  return `https://127.0.0.1:${srv.port}/dns-query`;
}

const opts = () => ({ clock: createClock(), timeoutMs: 2000, extraCa: [pki.caPem] });
// Nothing listens on port 1 of loopback: the connection is refused.
const REFUSED = 'https://127.0.0.1:1/dns-query';

describe('resolveReference', () => {
  it('with the first resolver unreachable: takes the answer of one that answered', async () => {
    const answering = await nxdomainServer();
    const ref = await resolveReference('www.example.com', [REFUSED, answering], opts());
    expect(ref).toEqual({ resolver_address: answering, failure: 'dns_nxdomain_error', addrs: [] });
  });
  it('with every resolver unreachable: says so, never as an answer about the name', async () => {
    const ref = await resolveReference('www.example.com', [REFUSED], opts());
    expect(ref?.failure).toBe('unknown_failure: dns control unavailable: DoH resolver unreachable (connection_refused)');
    expect(ref?.addrs).toEqual([]);
  });
});
