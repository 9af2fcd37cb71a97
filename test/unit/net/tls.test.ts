import net from 'node:net';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClock } from '../../../src/net/clock.js';
import { tcpConnect } from '../../../src/net/tcp.js';
import { tlsHandshake, type TlsHandshakeOptions } from '../../../src/net/tls.js';
import { createTestPki, type TestPki } from './support/pki.js';
import { startHttpsServer, startTcpServer, type Running } from './support/servers.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
});
const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function handshake(port: number, serverName: string, extra: Partial<TlsHandshakeOptions> = {}) {
  const clock = createClock();
  const c = await tcpConnect('127.0.0.1', port, { clock, transactionId: 40001, depth: 0, tags: ['depth=0'] });
  if (c.socket === null) throw new Error(`connect failed: ${c.observation.status.failure}`);
  const r = await tlsHandshake(c.socket, { serverName, clock, transactionId: 40001, depth: 0, tags: ['depth=0'], address: `127.0.0.1:${port}`, timeoutMs: 2000, ...extra });
  return { ...r, tcpSocket: c.socket };
}

async function serve(opts: Parameters<TestPki['issue']>[0], h2 = true) {
  const cert = await pki.issue(opts);
  const srv = await startHttpsServer(cert, (_req, res) => res.end('ok'), { h2 });
  running.push(srv);
  return srv;
}

describe('tlsHandshake', () => {
  it('with a certificate from a CA added through extraCa: succeeds and records version, cipher, ALPN and the chain', async () => {
    const srv = await serve({ dnsNames: ['www.example.com'] });
    const r = await handshake(srv.port, 'www.example.com', { extraCa: [pki.caPem] });
    expect(r.observation).toMatchObject({ network: 'tcp', address: `127.0.0.1:${srv.port}`, server_name: 'www.example.com', alpn: ['h2', 'http/1.1'], no_tls_verify: false, negotiated_protocol: 'h2', tls_version: 'TLSv1.3', failure: null });
    expect(r.observation.cipher_suite).toMatch(/^TLS_/);
    expect(r.observation.peer_certificates?.length).toBeGreaterThanOrEqual(1);
    expect(r.observation.peer_certificates_summary[0]).toMatchObject({ subject: 'CN=www.example.com', issuer: 'CN=censorprobe test CA', subject_alt_names: ['www.example.com'] });
    expect(r.observation.peer_certificates_summary[0]?.fingerprint_sha256).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){31}$/);
    await vi.waitFor(() => expect(srv.servernames).toEqual(['www.example.com']));
    expect(r.socket).not.toBeNull();
    r.socket?.destroy();
  });

  it('with a server offering only http/1.1: negotiates http/1.1', async () => {
    const srv = await serve({ dnsNames: ['www.example.com'] }, false);
    const r = await handshake(srv.port, 'www.example.com', { extraCa: [pki.caPem] });
    expect(r.observation.negotiated_protocol).toBe('http/1.1');
    r.socket?.destroy();
  });

  it('with an IP-literal server name: sends no SNI and verifies the IP SAN', async () => {
    const srv = await serve({ ips: ['127.0.0.1'] });
    const r = await handshake(srv.port, '127.0.0.1', { extraCa: [pki.caPem] });
    expect(r.observation.failure).toBeNull();
    await vi.waitFor(() => expect(srv.servernames).toEqual([false]));
    r.socket?.destroy();
  });

  it('without the test CA (Mozilla roots only): reports ssl_unknown_authority and still records the chain', async () => {
    const srv = await serve({ dnsNames: ['www.example.com'] });
    const r = await handshake(srv.port, 'www.example.com');
    expect(r.observation.failure).toBe('ssl_unknown_authority');
    expect(r.observation.peer_certificates?.length).toBeGreaterThanOrEqual(1);
    expect(r.observation.peer_certificates_summary[0]?.subject).toBe('CN=www.example.com');
    expect(r.socket).toBeNull();
    expect(r.tcpSocket.destroyed).toBe(true);
  });

  it('with a self-signed certificate: reports ssl_unknown_authority', async () => {
    const srv = await serve({ dnsNames: ['www.example.com'], selfSigned: true });
    const r = await handshake(srv.port, 'www.example.com', { extraCa: [pki.caPem] });
    expect(r.observation.failure).toBe('ssl_unknown_authority');
  });

  it('with a certificate for another host: reports ssl_invalid_hostname', async () => {
    const srv = await serve({ dnsNames: ['other.example.org'] });
    const r = await handshake(srv.port, 'www.example.com', { extraCa: [pki.caPem] });
    expect(r.observation.failure).toBe('ssl_invalid_hostname');
    expect(r.observation.failure_detail).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('with an expired certificate: reports ssl_invalid_certificate', async () => {
    const srv = await serve({ dnsNames: ['www.example.com'], notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const r = await handshake(srv.port, 'www.example.com', { extraCa: [pki.caPem] });
    expect(r.observation.failure).toBe('ssl_invalid_certificate');
    expect(r.observation.failure_detail).toBe('CERT_HAS_EXPIRED');
  });

  it('with RST injected after ClientHello: reports connection_reset', async () => {
    const srv = await startTcpServer((s) => s.once('data', () => s.resetAndDestroy()));
    running.push(srv);
    const r = await handshake(srv.port, 'www.example.com');
    expect(r.observation.failure).toBe('connection_reset');
    expect(r.observation.peer_certificates).toBeNull();
  });

  it('with the connection closed after ClientHello: reports eof_error', async () => {
    const srv = await startTcpServer((s) => s.once('data', () => s.end()));
    running.push(srv);
    const r = await handshake(srv.port, 'www.example.com');
    expect(r.observation.failure).toBe('eof_error');
  });

  it('with a server that never answers the ClientHello: reports generic_timeout_error', async () => {
    const srv = await startTcpServer(() => undefined);
    running.push(srv);
    const r = await handshake(srv.port, 'www.example.com', { timeoutMs: 200 });
    expect(r.observation.failure).toBe('generic_timeout_error');
    expect(r.observation.t - r.observation.t0).toBeGreaterThanOrEqual(0.19);
  });

  it('with a server that answers garbage: reports ssl_failed_handshake', async () => {
    const srv = await startTcpServer((s: net.Socket) => s.once('data', () => s.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
    running.push(srv);
    const r = await handshake(srv.port, 'www.example.com');
    expect(r.observation.failure).toBe('ssl_failed_handshake');
  });
});
