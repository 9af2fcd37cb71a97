/**
 * The helper's safety rules, on loopback: a request body that is not a test-helper request is a
 * 400 with a reason; an IP-literal private target is refused outright; a name that resolves only to
 * private or loopback addresses is never dialed and says so (OONI's helper: dns_bogon_error, written
 * as the legacy `unknown_error`), and private `tcp_connect` entries from the probe are skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHelperServer } from '../../../src/control/helper-server.js';
import { reply, startDnsServer, type Running } from '../net/support/servers.js';

let dns: Running;
let server: http.Server;
let base = '';
beforeAll(async () => {
  // The helper's own resolver: every name is 127.0.0.1.
  dns = await startDnsServer((q) => [reply(q, q.questions?.[0]?.type === 'A' ? [{ type: 'A', data: '127.0.0.1' }] : [])]);
  server = createHelperServer({
    resolver: { kind: 'udp', ip: '127.0.0.1', port: dns.port },
    timeouts: { dnsMs: 1000, connectMs: 1000, tlsMs: 1000, httpMs: 1000 },
    maxBodyBytes: 1024,
    maxRedirects: 2,
    maxInFlight: 4,
    software: 'censorprobe/test',
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await dns.close();
});

const post = async (body: string): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(base, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('censorprobe helper', () => {
  it('answers GET with a health check', async () => {
    const res = await fetch(base);
    expect(await res.json()).toEqual({ message: 'Hello OONItarian!' });
  });
  it('rejects a body that is not a test-helper request with a reason', async () => {
    expect(await post('{"http_request": 42}')).toEqual({ status: 400, json: { error: 'http_request must be a URL string' } });
  });
  it('refuses a private IP-literal target', async () => {
    const r = await post(JSON.stringify({ http_request: 'http://10.0.0.1/', tcp_connect: [] }));
    expect(r.status).toBe(400);
    expect(r.json['error']).toBe('refusing to measure a private or reserved address (10.0.0.1)');
  });
  it('never dials a name that resolves to loopback, nor private endpoints the probe lists, and says why', async () => {
    const r = await post(JSON.stringify({ http_request: 'http://www.example.com/', http_request_headers: {}, tcp_connect: ['10.0.0.1:80'] }));
    expect(r.status).toBe(200);
    expect(r.json['tcp_connect']).toEqual({});
    expect(r.json['http_request']).toMatchObject({ failure: 'unknown_error', status_code: -1 });
    expect(r.json['dns']).toEqual({ failure: null, addrs: ['127.0.0.1'] });
  });
});
