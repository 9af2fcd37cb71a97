/**
 * httpsRecordLookup (src/net/dns-https.ts) against loopback servers: one HTTPS (type 65) query over
 * UDP and over DoH; records parsed, failures in the DNS vocabulary, never a rejection.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { createClock } from '../../../src/net/clock.js';
import { httpsRecordLookup } from '../../../src/net/dns-https.js';
import { encodeHttpsRdata } from '../../../src/lab/https-record.js';
import { createTestPki, type TestCert, type TestPki } from './support/pki.js';
import { httpsReply, startDnsServer, startHttpsServer, type Running } from './support/servers.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

const ECH_H3 = encodeHttpsRdata({ priority: 1, target: '.', alpn: ['h2', 'h3'], ech: Buffer.from('fake ECHConfigList').toString('base64') });

const base = { clock: createClock(), depth: 0 };

describe('httpsRecordLookup over UDP', () => {
  it('asks type 65 once and parses the record (ech, alpn h3)', async () => {
    const srv = await startDnsServer((q) => [httpsReply(q, [ECH_H3])]);
    running.push(srv);
    const o = await httpsRecordLookup('www.example.com', { ...base, resolver: { kind: 'udp', ip: '127.0.0.1', port: srv.port }, timeoutMs: 2000 });
    expect(srv.queries).toHaveLength(1);
    expect(srv.queries[0]?.questions?.[0]?.type).toBe('UNKNOWN_65');
    expect(o).toMatchObject({ hostname: 'www.example.com', depth: 0, engine: 'udp', resolver_address: `127.0.0.1:${srv.port}`, rcode: 0, failure: null, failure_detail: null, malformed: 0 });
    expect(o.records).toEqual([{ priority: 1, target: '.', alpn: ['h2', 'h3'], ech: true, ech_bytes: 18 }]);
    expect(o.raw_response?.format).toBe('base64');
    expect(o.t).toBeGreaterThanOrEqual(o.t0);
  });

  it('ignores a reply with another id and takes the matching one', async () => {
    const srv = await startDnsServer((q) => [httpsReply(q, [], 0, ((q.id ?? 0) + 1) & 0xffff), httpsReply(q, [ECH_H3])]);
    running.push(srv);
    const o = await httpsRecordLookup('www.example.com', { ...base, resolver: { kind: 'udp', ip: '127.0.0.1', port: srv.port }, timeoutMs: 2000 });
    expect(o.records).toHaveLength(1);
  });

  it('NOERROR without a record is dns_no_answer; NXDOMAIN is dns_nxdomain_error with rcode=3', async () => {
    const empty = await startDnsServer((q) => [httpsReply(q, [])]);
    const nx = await startDnsServer((q) => [httpsReply(q, [], 3)]);
    running.push(empty, nx);
    const a = await httpsRecordLookup('x.example', { ...base, resolver: { kind: 'udp', ip: '127.0.0.1', port: empty.port }, timeoutMs: 2000 });
    expect(a).toMatchObject({ failure: 'dns_no_answer', rcode: 0, records: [] });
    const b = await httpsRecordLookup('x.example', { ...base, resolver: { kind: 'udp', ip: '127.0.0.1', port: nx.port }, timeoutMs: 2000 });
    expect(b).toMatchObject({ failure: 'dns_nxdomain_error', failure_detail: 'rcode=3', rcode: 3 });
  });

  it('a silent server is generic_timeout_error; an aborted signal is interrupted', async () => {
    const srv = await startDnsServer(() => []);
    running.push(srv);
    const o = await httpsRecordLookup('x.example', { ...base, resolver: { kind: 'udp', ip: '127.0.0.1', port: srv.port }, timeoutMs: 200 });
    expect(o).toMatchObject({ failure: 'generic_timeout_error', rcode: null, records: [], raw_response: null });
    const ac = new AbortController();
    ac.abort();
    const p = await httpsRecordLookup('x.example', { ...base, resolver: { kind: 'udp', ip: '127.0.0.1', port: srv.port }, timeoutMs: 5000, signal: ac.signal });
    expect(p.failure).toBe('interrupted');
  });

  it('throws only for a programmer error (a server that is not an IP literal)', async () => {
    await expect(httpsRecordLookup('x.example', { ...base, resolver: { kind: 'udp', ip: 'dns.example', port: 53 } })).rejects.toThrow(TypeError);
  });
});

describe('httpsRecordLookup over DoH', () => {
  let pki: TestPki;
  let cert: TestCert;
  beforeAll(async () => {
    pki = await createTestPki();
    cert = await pki.issue({ dnsNames: ['doh.test'], ips: ['127.0.0.1'] });
  });

  function dohServer(status = 200): Promise<Running> {
    return startHttpsServer(cert, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const q = dnsPacket.decode(Buffer.concat(chunks));
        res.writeHead(status, { 'content-type': 'application/dns-message' });
        res.end(dnsPacket.encode(httpsReply(q, (q.questions?.[0]?.type as string | undefined) === 'UNKNOWN_65' ? [ECH_H3] : [])));
      });
    });
  }

  it('POSTs one type-65 query and parses the record', async () => {
    const srv = await dohServer();
    running.push(srv);
    const url = `https://127.0.0.1:${srv.port}/dns-query`;
    const o = await httpsRecordLookup('www.example.com', { ...base, resolver: { kind: 'doh', url }, extraCa: [pki.caPem], timeoutMs: 3000 });
    expect(o).toMatchObject({ engine: 'doh', resolver_address: url, failure: null });
    expect(o.records[0]).toMatchObject({ ech: true, alpn: ['h2', 'h3'] });
  });

  it('a non-200 status is dns_server_misbehaving (HTTP 503)', async () => {
    const srv = await dohServer(503);
    running.push(srv);
    const o = await httpsRecordLookup('www.example.com', { ...base, resolver: { kind: 'doh', url: `https://127.0.0.1:${srv.port}/dns-query` }, extraCa: [pki.caPem], timeoutMs: 3000 });
    expect(o).toMatchObject({ failure: 'dns_server_misbehaving', failure_detail: 'HTTP 503', records: [] });
  });
});
