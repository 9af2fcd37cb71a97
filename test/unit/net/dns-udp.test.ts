import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createClock } from '../../../src/net/clock.js';
import { udpLookup } from '../../../src/net/dns-udp.js';
import { reply, startDnsServer, type Running } from './support/servers.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

// The default timeout only bounds a test whose server answers (an answer ends the lookup at once):
// generous, so that a busy machine never turns an answer into a timeout.
function opts(port: number, extra: { timeoutMs?: number; lateReplyWindowMs?: number } = {}) {
  return { server: { ip: '127.0.0.1', port }, clock: createClock(), timeoutMs: extra.timeoutMs ?? 10_000, lateReplyWindowMs: extra.lateReplyWindowMs ?? 100, transactionId: 10001, depth: 0, tags: ['classic'] };
}

describe('udpLookup', () => {
  it('with A and AAAA answers: returns both, with ttl, CNAME, rcode and the raw reply', async () => {
    const srv = await startDnsServer((q) =>
      q.questions?.[0]?.type === 'A'
        ? [reply(q, [{ type: 'CNAME', data: 'edge.example.net', ttl: 60 }, { type: 'A', data: '93.184.216.34', ttl: 120, name: 'edge.example.net' }])]
        : [reply(q, [{ type: 'AAAA', data: '2606:2800:220:1::1', ttl: 120 }])],
    );
    running.push(srv);
    const r = await udpLookup('www.example.com', opts(srv.port));
    expect(r.failure).toBeNull();
    expect(r.addresses).toEqual(['93.184.216.34', '2606:2800:220:1::1']);
    const [a, aaaa] = r.observations;
    expect(a).toMatchObject({ engine: 'udp', resolver_address: `127.0.0.1:${srv.port}`, hostname: 'www.example.com', query_type: 'A', rcode: 0, failure: null, transaction_id: 10001, depth: 0, tags: ['classic', 'depth=0'] });
    expect(a?.answers).toEqual([
      { answer_type: 'CNAME', hostname: 'edge.example.net', ttl: 60 },
      { answer_type: 'A', ipv4: '93.184.216.34', ttl: 120 },
    ]);
    expect(a?.raw_response?.format).toBe('base64');
    expect(aaaa).toMatchObject({ query_type: 'AAAA', answers: [{ answer_type: 'AAAA', ipv6: '2606:2800:220:1::1', ttl: 120 }] });
    expect(a!.t).toBeGreaterThanOrEqual(a!.t0);
    // each query used its own random id, on its own socket
    expect(srv.queries).toHaveLength(2);
  });

  it('with an injected early reply followed by the real one: answers with the first and records the real one in late_replies', async () => {
    const srv = await startDnsServer((q) =>
      q.questions?.[0]?.type === 'A' ? [reply(q, [{ type: 'A', data: '10.10.34.35' }]), reply(q, [{ type: 'A', data: '93.184.216.34' }])] : [reply(q, [])],
    );
    running.push(srv);
    // The real reply leaves the server 10 ms after the forged one; the window is 100 times that, so a
    // stalled event loop still reads it inside the window.
    const r = await udpLookup('www.example.com', opts(srv.port, { lateReplyWindowMs: 1000 }));
    expect(r.addresses).toEqual(['10.10.34.35']);
    const a = r.observations[0]!;
    expect(a.late_replies).toHaveLength(1);
    expect(a.late_replies?.[0]).toMatchObject({ rcode: 0, answers: [{ answer_type: 'A', ipv4: '93.184.216.34', ttl: 300 }] });
    expect(a.late_replies?.[0]?.t).toBeGreaterThan(a.t);
  });

  it('with NXDOMAIN: reports dns_nxdomain_error', async () => {
    const srv = await startDnsServer((q) => [reply(q, [], 3)]);
    running.push(srv);
    const r = await udpLookup('nope.example', opts(srv.port));
    expect(r).toMatchObject({ failure: 'dns_nxdomain_error', addresses: [] });
    expect(r.observations.map((o) => [o.failure, o.rcode])).toEqual([['dns_nxdomain_error', 3], ['dns_nxdomain_error', 3]]);
  });

  it('with SERVFAIL: reports dns_servfail_error', async () => {
    const srv = await startDnsServer((q) => [reply(q, [], 2)]);
    running.push(srv);
    expect((await udpLookup('x.example', opts(srv.port))).failure).toBe('dns_servfail_error');
  });

  it('with REFUSED: reports dns_refused_error, and another rcode dns_server_misbehaving', async () => {
    const refused = await startDnsServer((q) => [reply(q, [], 5)]);
    const notimp = await startDnsServer((q) => [reply(q, [], 4)]);
    running.push(refused, notimp);
    expect((await udpLookup('x.example', opts(refused.port))).failure).toBe('dns_refused_error');
    expect((await udpLookup('x.example', opts(notimp.port))).failure).toBe('dns_server_misbehaving');
  });

  it('with an A answer and an empty AAAA: succeeds (an AAAA dns_no_answer alone is not a failure)', async () => {
    const srv = await startDnsServer((q) => [reply(q, q.questions?.[0]?.type === 'A' ? [{ type: 'A', data: '1.2.3.4' }] : [])]);
    running.push(srv);
    const r = await udpLookup('x.example', opts(srv.port));
    expect(r.failure).toBeNull();
    expect(r.observations[1]?.failure).toBe('dns_no_answer');
  });

  it('with NOERROR and no records at all: reports dns_no_answer', async () => {
    const srv = await startDnsServer((q) => [reply(q, [])]);
    running.push(srv);
    expect((await udpLookup('x.example', opts(srv.port))).failure).toBe('dns_no_answer');
  });

  it('with a reply carrying the wrong id: ignores it and takes the right one', async () => {
    const srv = await startDnsServer((q) => [reply(q, [{ type: 'A', data: '6.6.6.6' }], 0, ((q.id ?? 0) + 1) % 65536), reply(q, q.questions?.[0]?.type === 'A' ? [{ type: 'A', data: '1.2.3.4' }] : [])]);
    running.push(srv);
    const r = await udpLookup('x.example', opts(srv.port));
    expect(r.addresses).toEqual(['1.2.3.4']);
    expect(r.observations[0]?.late_replies).toEqual([]);
  });

  it('with a silent server: reports generic_timeout_error after timeoutMs', async () => {
    const srv = await startDnsServer(() => []);
    running.push(srv);
    const started = Date.now();
    const r = await udpLookup('x.example', opts(srv.port, { timeoutMs: 200 }));
    expect(r.failure).toBe('generic_timeout_error');
    expect(r.observations[0]!.t - r.observations[0]!.t0).toBeGreaterThanOrEqual(0.19);
    // The option is honoured: far below the 4 s default, with room for a busy machine.
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('with nobody listening on the port: reports connection_refused (ICMP port unreachable)', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    const port = s.address().port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const r = await udpLookup('x.example', opts(port));
    expect(r.failure).toBe('connection_refused');
    expect(r.observations[0]?.failure_detail).toBe('ECONNREFUSED');
  });

  it('with an aborted signal: reports interrupted', async () => {
    const ac = new AbortController();
    // Aborted while the query waits for its answer: when the (silent) server receives it.
    const srv = await startDnsServer(() => {
      ac.abort();
      return [];
    });
    running.push(srv);
    const r = await udpLookup('x.example', { ...opts(srv.port), signal: ac.signal });
    expect(r.failure).toBe('interrupted');
  });
});
