/** Baseline checks against loopback servers only (no traffic leaves the machine). */
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BASELINES, parseBaseline, runBaselineRound } from '../../../src/outage/index.js';

describe('parsing baseline checks', () => {
  it('parses every form, with the domestic: prefix and the local scope of the system resolver', () => {
    expect(parseBaseline('tcp://1.1.1.1:443')).toEqual({ kind: 'tcp', spec: 'tcp://1.1.1.1:443', scope: 'international', ip: '1.1.1.1', port: 443, resolver: true });
    expect(parseBaseline('tls://1.1.1.1/one.one.one.one')).toEqual({ kind: 'tls', spec: 'tls://1.1.1.1/one.one.one.one', scope: 'international', ip: '1.1.1.1', port: 443, name: 'one.one.one.one', resolver: true });
    expect(parseBaseline('domestic:tls://192.0.2.7:8443/bank.example')).toMatchObject({ kind: 'tls', scope: 'domestic', port: 8443, resolver: false });
    expect(parseBaseline('http://connectivitycheck.gstatic.com/generate_204')).toMatchObject({ expect: { status: 204, body: '' } });
    expect(parseBaseline('http://captive.apple.com/hotspot-detect.html')).toMatchObject({ expect: { status: 200, contains: '<TITLE>Success</TITLE>' } });
    expect(parseBaseline('http://www.gov.example/')).toMatchObject({ expect: null });
    expect(parseBaseline('tcp://[2606:4700::1111]:443')).toMatchObject({ ip: '2606:4700::1111', port: 443 });
    expect(parseBaseline('dns://8.8.8.8/www.google.com')).toMatchObject({ kind: 'dns', ip: '8.8.8.8', port: 53, name: 'www.google.com' });
    expect(parseBaseline('domestic:dns://10.0.0.1:5353/bank.example')).toMatchObject({ scope: 'domestic', port: 5353 });
    expect(parseBaseline('system-dns:www.google.com')).toMatchObject({ kind: 'system-dns', scope: 'local' });
    expect(parseBaseline('domestic:https://www.gov.example/')).toMatchObject({ kind: 'http', scope: 'domestic', url: 'https://www.gov.example/' });
    for (const d of DEFAULT_BASELINES) expect(() => parseBaseline(d)).not.toThrow();
  });
  it('rejects anything else with a message naming the check', () => {
    expect(() => parseBaseline('ftp://x')).toThrow(/baseline 'ftp:\/\/x': expected tcp:\/\//);
    expect(() => parseBaseline('tcp://999.1.1.1:443')).toThrow(/not an IP address/);
  });
});

describe('a round of baseline checks on loopback', () => {
  let tcpServer: net.Server;
  let httpServer: http.Server;
  let silentUdp: dgram.Socket;
  let tcpPort = 0;
  let httpPort = 0;
  let udpPort = 0;
  let closedPort = 0;
  beforeAll(async () => {
    tcpServer = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', r));
    tcpPort = (tcpServer.address() as AddressInfo).port;
    httpServer = http.createServer((_q, s) => s.writeHead(204).end());
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    httpPort = (httpServer.address() as AddressInfo).port;
    silentUdp = dgram.createSocket('udp4');
    await new Promise<void>((r) => silentUdp.bind(0, '127.0.0.1', r));
    udpPort = silentUdp.address().port;
    const tmp = net.createServer();
    await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
    closedPort = (tmp.address() as AddressInfo).port;
    await new Promise<void>((r) => tmp.close(() => r()));
  });
  afterAll(() => {
    tcpServer.close();
    httpServer.close();
    silentUdp.close();
  });

  it('counts a connect and the expected HTTP answer as working; a refusal and a silent resolver fail', async () => {
    const checks = [
      parseBaseline(`tcp://127.0.0.1:${tcpPort}`),
      parseBaseline(`tcp://127.0.0.1:${closedPort}`),
      parseBaseline(`domestic:http://127.0.0.1:${httpPort}/generate_204`),
      parseBaseline(`dns://127.0.0.1:${udpPort}/www.example.com`),
    ];
    const round = await runBaselineRound(checks, 'before', { timeoutMs: 400, dialLoopback: true, now: () => new Date('2026-11-30T00:00:00Z') });
    expect(round.time).toBe('2026-11-30T00:00:00.000Z');
    expect(round.results.map((x) => [x.scope, x.ok, x.failure])).toEqual([
      ['international', true, null],
      ['international', false, 'connection_refused'],
      ['domestic', true, null],
      ['international', false, 'generic_timeout_error'],
    ]);
    expect(round.state).toBe('allowlist_only'); // 2 of 3 international checks failed while a domestic one worked
    expect(round.loop_delay_ms).toBeGreaterThanOrEqual(0);
  });
  it('decides "international connectivity cut" when only the domestic check answers', async () => {
    const checks = [
      parseBaseline(`dns://127.0.0.1:${udpPort}/a.example`),
      parseBaseline(`dns://127.0.0.1:${udpPort}/b.example`),
      parseBaseline(`domestic:tcp://127.0.0.1:${tcpPort}`),
    ];
    const round = await runBaselineRound(checks, 'streak', { timeoutMs: 300 });
    expect(round.state).toBe('international_cut');
    expect(round.when).toBe('streak');
  });
});

describe('baseline checks want the expected answer, not just any answer', () => {
  let portal: http.Server;
  let portalPort = 0;
  let dns: dgram.Socket;
  let dnsPort = 0;
  beforeAll(async () => {
    // A captive portal: every URL redirects to its login page.
    portal = http.createServer((_q, s) => s.writeHead(302, { location: 'http://login.portal.example/' }).end());
    await new Promise<void>((r) => portal.listen(0, '127.0.0.1', r));
    portalPort = (portal.address() as AddressInfo).port;
    const dnsPacket = (await import('dns-packet')).default;
    dns = dgram.createSocket('udp4');
    dns.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      const name = q.questions?.[0]?.name ?? '';
      const data = name.startsWith('bogon.') ? '10.0.0.1' : '93.184.216.34';
      const rcode = name.startsWith('missing.') ? 3 : 0;
      const answers = rcode === 0 && q.questions?.[0]?.type === 'A' ? [{ type: 'A' as const, name, ttl: 60, class: 'IN' as const, data }] : [];
      dns.send(dnsPacket.encode({ type: 'response', id: q.id ?? 0, flags: dnsPacket.RECURSION_AVAILABLE | rcode, questions: q.questions ?? [], answers }), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => dns.bind(0, '127.0.0.1', r));
    dnsPort = dns.address().port;
  });
  afterAll(() => {
    portal.close();
    dns.close();
  });

  it('a login redirect for generate_204 is a captive portal; NXDOMAIN and bogons for stable names are failures', async () => {
    const checks = [
      parseBaseline(`http://127.0.0.1:${portalPort}/generate_204`),
      parseBaseline(`dns://127.0.0.1:${dnsPort}/www.stable.example`),
      parseBaseline(`dns://127.0.0.1:${dnsPort}/missing.stable.example`),
      parseBaseline(`dns://127.0.0.1:${dnsPort}/bogon.stable.example`),
    ];
    const round = await runBaselineRound(checks, 'before', { timeoutMs: 1000, dialLoopback: true });
    expect(round.results.map((x) => [x.kind, x.ok, x.failure, x.altered ?? false])).toEqual([
      ['http', false, 'unknown_failure: unexpected answer', true],
      ['dns', true, null, false],
      ['dns', false, 'dns_nxdomain_error', true],
      ['dns', false, 'dns_bogon_error', true],
    ]);
    expect(round.results[0]?.detail).toContain('HTTP 302 to http://login.portal.example/');
    expect(round.state).toBe('captive_portal');
  });
});
