/**
 * The flow's repeated handshake with a harmless SNI after a TLS failure (`sni_probe`), against a
 * loopback "middlebox" that resets connections whose ClientHello carries a given name.
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SNI_PROBE_SERVER_NAME, measureUrl, type FlowOptions } from '../../../src/flows/index.js';
import { createClock } from '../../../src/net/clock.js';
import { createTestPki, type TestPki } from '../net/support/pki.js';
import { reply, startDnsServer, type Running } from '../net/support/servers.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
});
const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

/** A TLS server on 127.0.0.1 behind a filter: connections whose first bytes contain `trigger` (or every one, with '') are reset. */
async function filteredTls(trigger: string): Promise<Running> {
  const cert = await pki.issue({ dnsNames: ['blocked.example', 'example.org', 'example.com'] });
  const tlsServer = tls.createServer({ cert: cert.certPem, key: cert.keyPem }, (s) => s.end());
  tlsServer.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  const backend = (tlsServer.address() as net.AddressInfo).port;
  // The "middlebox": looks at the ClientHello, resets or forwards to the real TLS server.
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (chunk: Buffer) => {
      if (trigger === '' || chunk.includes(Buffer.from(trigger))) {
        socket.resetAndDestroy();
        return;
      }
      const upstream = net.connect(backend, '127.0.0.1');
      upstream.on('error', () => socket.destroy());
      upstream.write(chunk);
      socket.pipe(upstream).pipe(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const r = {
    host: '127.0.0.1', port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    },
  } as Running;
  running.push(r);
  return r;
}

async function dns(): Promise<Running> {
  const srv = await startDnsServer((q) => [reply(q, q.questions?.[0]?.type === 'A' ? [{ type: 'A', data: '127.0.0.1' }] : [])]);
  running.push(srv);
  return srv;
}

function options(dnsPort: number, extra: Partial<FlowOptions> = {}): FlowOptions {
  return {
    resolver: { kind: 'udp', ip: '127.0.0.1', port: dnsPort },
    clock: createClock(),
    timeouts: { dnsMs: 1000, connectMs: 1000, tlsMs: 1000, httpMs: 1000 },
    maxBodyBytes: 524_288,
    maxRedirects: 10,
    lateReplyWindowMs: 20,
    dialLoopback: true,
    extraCa: [pki.caPem],
    ...extra,
  };
}

describe('measureUrl with sniProbeServerName', () => {
  it('after a reset on the SNI, repeats the handshake once with example.org on a fresh connection, tagged sni_probe', async () => {
    const d = await dns();
    const s = await filteredTls('blocked.example');
    const m = await measureUrl(`https://blocked.example:${s.port}/`, options(d.port, { sniProbeServerName: DEFAULT_SNI_PROBE_SERVER_NAME }));
    expect(m.hops[0]).toMatchObject({ failure: 'connection_reset', failed_operation: 'tls_handshake', request: null });
    const hs = m.observations.tls_handshakes.map((h) => [h.server_name, h.failure, h.tags]);
    expect(hs).toEqual([
      ['blocked.example', 'connection_reset', ['classic', 'depth=0', 'fetch_body=true']],
      ['example.org', null, ['sni_probe', 'depth=0']],
    ]);
    const [first, probe] = m.observations.tcp_connect;
    expect(probe).toMatchObject({ ip: '127.0.0.1', port: s.port, status: { success: true, failure: null }, tags: ['sni_probe', 'depth=0'] });
    expect(probe?.transaction_id).not.toBe(first?.transaction_id);
    expect(m.observations.tls_handshakes[1]?.transaction_id).toBe(probe?.transaction_id);
    expect(m.observations.requests).toEqual([]);
  });

  it('records the harmless SNI failing too when the address is reset for any SNI', async () => {
    const d = await dns();
    const s = await filteredTls('');
    const m = await measureUrl(`https://blocked.example:${s.port}/`, options(d.port, { sniProbeServerName: 'example.org' }));
    expect(m.observations.tls_handshakes.map((h) => [h.server_name, h.failure])).toEqual([['blocked.example', 'connection_reset'], ['example.org', 'connection_reset']]);
  });

  it('uses example.com when the target itself is under example.org', async () => {
    const d = await dns();
    const s = await filteredTls('www.example.org');
    const m = await measureUrl(`https://www.example.org:${s.port}/`, options(d.port, { sniProbeServerName: 'example.org' }));
    expect(m.observations.tls_handshakes.map((h) => h.server_name)).toEqual(['www.example.org', 'example.com']);
  });

  it('makes no extra handshake when off (the default, as in the helper) or when the handshake succeeded', async () => {
    const d = await dns();
    const s = await filteredTls('blocked.example');
    const off = await measureUrl(`https://blocked.example:${s.port}/`, options(d.port));
    expect(off.observations.tls_handshakes).toHaveLength(1);
    const ok = await measureUrl(`https://example.com:${s.port}/`, options(d.port, { sniProbeServerName: 'example.org' }));
    expect(ok.observations.tls_handshakes.map((h) => [h.server_name, h.failure])).toEqual([['example.com', null]]);
  });
});
