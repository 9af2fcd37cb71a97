import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { createClock } from '../../../src/net/clock.js';
import { dohLookup } from '../../../src/net/dns-doh.js';
import { createTestPki, type TestCert, type TestPki } from './support/pki.js';
import { reply, startHttpsServer, type Running } from './support/servers.js';

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

function dohServer(status = 200, contentType = 'application/dns-message'): Promise<Running> {
  return startHttpsServer(cert, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const q = dnsPacket.decode(Buffer.concat(chunks));
      const answer = q.questions?.[0]?.type === 'A' ? [{ type: 'A' as const, data: '93.184.216.34' }] : [];
      res.writeHead(status, { 'content-type': contentType });
      res.end(dnsPacket.encode(reply(q, answer)));
    });
  });
}

const base = () => ({ clock: createClock(), timeoutMs: 2000, transactionId: 30001, depth: 0 });

describe('dohLookup', () => {
  it('with a DoH server trusted through extraCa: resolves A and AAAA with engine doh', async () => {
    const srv = await dohServer();
    running.push(srv);
    const url = `https://127.0.0.1:${srv.port}/dns-query`;
    const r = await dohLookup('www.example.com', { ...base(), url, extraCa: [pki.caPem] });
    expect(r.failure).toBeNull();
    expect(r.addresses).toEqual(['93.184.216.34']);
    expect(r.observations.map((o) => [o.engine, o.query_type, o.resolver_address, o.failure])).toEqual([
      ['doh', 'A', url, null],
      ['doh', 'AAAA', url, 'dns_no_answer'],
    ]);
  });

  it('with a certificate from an unknown authority: reports ssl_unknown_authority', async () => {
    const srv = await dohServer();
    running.push(srv);
    const r = await dohLookup('www.example.com', { ...base(), url: `https://127.0.0.1:${srv.port}/dns-query` });
    expect(r.failure).toBe('ssl_unknown_authority');
  });

  it('with a non-200 status: reports dns_server_misbehaving', async () => {
    const srv = await dohServer(503);
    running.push(srv);
    const r = await dohLookup('www.example.com', { ...base(), url: `https://127.0.0.1:${srv.port}/dns-query`, extraCa: [pki.caPem] });
    expect(r.failure).toBe('dns_server_misbehaving');
    expect(r.observations[0]?.failure_detail).toBe('HTTP 503');
  });

  it('with a refused port: reports connection_refused', async () => {
    const srv = await dohServer();
    await srv.close();
    const r = await dohLookup('www.example.com', { ...base(), url: `https://127.0.0.1:${srv.port}/dns-query`, extraCa: [pki.caPem] });
    expect(r.failure).toBe('connection_refused');
  });
});
