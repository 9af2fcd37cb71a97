import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/net/clock.js';
import { systemLookup, type GetaddrinfoFn } from '../../../src/net/dns-system.js';

const base = () => ({ clock: createClock(), transactionId: 10001, depth: 0, tags: ['classic'] });

describe('systemLookup', () => {
  it('with localhost (from /etc/hosts, no traffic): records one ANY getaddrinfo query', async () => {
    const r = await systemLookup('localhost', base());
    expect(r.failure).toBeNull();
    expect(r.addresses.length).toBeGreaterThan(0);
    expect(r.addresses.every((a) => a === '127.0.0.1' || a === '::1')).toBe(true);
    expect(r.observations).toHaveLength(1);
    expect(r.observations[0]).toMatchObject({ engine: 'getaddrinfo', resolver_address: 'system', query_type: 'ANY', hostname: 'localhost', failure: null, transaction_id: 10001, tags: ['classic', 'depth=0'] });
    expect(r.observations[0]?.answers.every((a) => a.ttl === null)).toBe(true);
  });

  it('with ENOTFOUND from getaddrinfo: reports dns_nxdomain_error and keeps the code', async () => {
    const gai: GetaddrinfoFn = () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND', syscall: 'getaddrinfo' }));
    const r = await systemLookup('x.example', { ...base(), getaddrinfo: gai });
    expect(r).toMatchObject({ failure: 'dns_nxdomain_error', addresses: [] });
    expect(r.observations[0]?.failure_detail).toBe('ENOTFOUND');
  });

  it('with a success carrying zero addresses: reports dns_no_answer', async () => {
    const r = await systemLookup('x.example', { ...base(), getaddrinfo: () => Promise.resolve([]) });
    expect(r.failure).toBe('dns_no_answer');
  });

  it('with a getaddrinfo that never returns: reports generic_timeout_error after timeoutMs', async () => {
    const r = await systemLookup('x.example', { ...base(), timeoutMs: 100, getaddrinfo: () => new Promise(() => undefined) });
    expect(r.failure).toBe('generic_timeout_error');
    expect(r.observations[0]!.t).toBeGreaterThanOrEqual(0.09);
  });

  it('keeps the resolver order of mixed IPv4 and IPv6 answers', async () => {
    const r = await systemLookup('x.example', { ...base(), getaddrinfo: () => Promise.resolve([{ address: '2001:db8::1', family: 6 }, { address: '192.0.2.1', family: 4 }]) });
    expect(r.addresses).toEqual(['2001:db8::1', '192.0.2.1']);
    expect(r.observations[0]?.answers).toEqual([{ answer_type: 'AAAA', ipv6: '2001:db8::1', ttl: null }, { answer_type: 'A', ipv4: '192.0.2.1', ttl: null }]);
  });
});
