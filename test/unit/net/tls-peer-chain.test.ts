/**
 * tlsHandshake's peer-chain recording options (issue 6 performance fixes): skipping the chain when
 * only the failure matters, and the cached CA summaries giving the same result as a fresh parse.
 * Loopback servers only.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { summarizeCertificate } from '../../../src/net/certificate.js';
import { createClock } from '../../../src/net/clock.js';
import { tcpConnect } from '../../../src/net/tcp.js';
import { tlsHandshake, type TlsHandshakeOptions } from '../../../src/net/tls.js';
import { createTestPki, type TestPki } from './support/pki.js';
import { startHttpsServer, type Running } from './support/servers.js';

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
  const c = await tcpConnect('127.0.0.1', port, { clock, transactionId: 40001, depth: 0 });
  if (c.socket === null) throw new Error(`connect failed: ${c.observation.status.failure}`);
  return tlsHandshake(c.socket, { serverName, clock, transactionId: 40001, depth: 0, address: `127.0.0.1:${port}`, timeoutMs: 2000, ...extra });
}

/** A server for `dnsNames`; `sendCa`: how many copies of the CA certificate follow the leaf in the server's chain. */
async function serve(dnsNames: string[], sendCa: boolean | number = false) {
  const leaf = await pki.issue({ dnsNames });
  const copies = sendCa === true ? 1 : sendCa === false ? 0 : sendCa;
  const cert = copies > 0 ? { ...leaf, certPem: [leaf.certPem.trimEnd(), ...Array.from({ length: copies }, () => pki.caPem.trimEnd())].join('\n') + '\n' } : leaf;
  const srv = await startHttpsServer(cert, (_req, res) => res.end('ok'), { h2: false });
  running.push(srv);
  return srv;
}

describe('tlsHandshake peer chain', () => {
  it('with recordPeerCertificates false: succeeds, still verifies, and records no chain', async () => {
    const srv = await serve(['www.example.com']);
    const ok = await handshake(srv.port, 'www.example.com', { extraCa: [pki.caPem], recordPeerCertificates: false });
    expect(ok.observation.failure).toBeNull();
    expect(ok.observation.peer_certificates).toEqual([]);
    expect(ok.observation.peer_certificates_summary).toEqual([]);
    ok.socket?.destroy();
    const wrongName = await handshake(srv.port, 'www.example.org', { extraCa: [pki.caPem], recordPeerCertificates: false });
    expect(wrongName.observation.failure).toBe('ssl_invalid_hostname');
    const untrusted = await handshake(srv.port, 'www.example.com', { recordPeerCertificates: false });
    expect(untrusted.observation.failure).toBe('ssl_unknown_authority');
  });

  it('records the chain as the server sent it (Go PeerCertificates), never completed from the trust store', async () => {
    const leafOnly = await serve(['www.example.com']);
    const r1 = await handshake(leafOnly.port, 'www.example.com', { extraCa: [pki.caPem] });
    expect(r1.observation.failure).toBeNull();
    expect(r1.observation.peer_certificates_summary.map((c) => c.subject)).toEqual(['CN=www.example.com']);
    r1.socket?.destroy();
    const withCa = await serve(['www.example.com'], true);
    const r2 = await handshake(withCa.port, 'www.example.com', { extraCa: [pki.caPem] });
    expect(r2.observation.peer_certificates_summary.map((c) => c.subject)).toEqual(['CN=www.example.com', 'CN=censorprobe test CA']);
    // The handshake's socket has Node's own getPeerCertificate back (the prototype's).
    expect(Object.hasOwn(r2.socket ?? {}, 'getPeerCertificate')).toBe(false);
    r2.socket?.destroy();
    // Duplicates are kept, in the order sent.
    const twice = await serve(['www.example.com'], 2);
    const r3 = await handshake(twice.port, 'www.example.com', { extraCa: [pki.caPem] });
    expect(r3.observation.peer_certificates_summary.map((c) => c.subject)).toEqual(['CN=www.example.com', 'CN=censorprobe test CA', 'CN=censorprobe test CA']);
    r3.socket?.destroy();
  });

  it('repeated handshakes give CA summaries equal to a fresh parse of each certificate', async () => {
    const srv = await serve(['www.example.com'], true);
    for (let i = 0; i < 3; i++) {
      const r = await handshake(srv.port, 'www.example.com', { extraCa: [pki.caPem] });
      const ders = (r.observation.peer_certificates ?? []).map((c) => Buffer.from(c.data, 'base64'));
      expect(ders.length).toBe(2);
      expect(r.observation.peer_certificates_summary).toEqual(ders.map((d) => summarizeCertificate(d)));
      r.socket?.destroy();
    }
  });
});
