import { afterEach, describe, expect, it } from 'vitest';
import { createClock } from '../../../src/net/clock.js';
import { tcpConnect } from '../../../src/net/tcp.js';
import { startTcpServer, type Running } from './support/servers.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});
const base = () => ({ clock: createClock(), timeoutMs: 2000, transactionId: 40001, depth: 0, tags: ['depth=0'] });

describe('tcpConnect', () => {
  it('with a listening port: succeeds and hands back the connected socket', async () => {
    const srv = await startTcpServer(() => undefined);
    running.push(srv);
    const r = await tcpConnect('127.0.0.1', srv.port, base());
    expect(r.observation).toMatchObject({ ip: '127.0.0.1', port: srv.port, status: { success: true, failure: null }, transaction_id: 40001, depth: 0, tags: ['depth=0'] });
    expect(r.observation.t).toBeGreaterThanOrEqual(r.observation.t0);
    expect(r.socket?.remotePort).toBe(srv.port);
    r.socket?.destroy();
  });

  it('with a closed port: reports connection_refused and no socket', async () => {
    const srv = await startTcpServer(() => undefined);
    await srv.close();
    const r = await tcpConnect('127.0.0.1', srv.port, base());
    expect(r.observation.status).toEqual({ success: false, failure: 'connection_refused' });
    expect(r.observation.failure_detail).toBe('ECONNREFUSED');
    expect(r.socket).toBeNull();
  });

  it('with IPv6 loopback: connects to ::1', async () => {
    const srv = await startTcpServer(() => undefined, '::1').catch(() => null);
    if (srv === null) return; // no IPv6 on this host
    running.push(srv);
    const r = await tcpConnect('::1', srv.port, base());
    expect(r.observation.status.success).toBe(true);
    r.socket?.destroy();
  });

  it('with an aborted signal: reports interrupted', async () => {
    const ac = new AbortController();
    ac.abort();
    const srv = await startTcpServer(() => undefined);
    running.push(srv);
    const r = await tcpConnect('127.0.0.1', srv.port, { ...base(), signal: ac.signal });
    expect(r.observation.status.failure).toBe('interrupted');
    expect(r.socket).toBeNull();
  });

  it('with a host name instead of an IP: throws (programmer error)', () => {
    expect(() => tcpConnect('example.com', 80, base())).toThrow(TypeError);
  });
});
