import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractTitle, importOoniMeasurement, ooniFailure } from '../../../src/ooni/import.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/ooni/generated', `${name}.json`), 'utf8'));

describe('importOoniMeasurement', () => {
  it('throws a clear error on anything but a web_connectivity measurement', () => {
    expect(() => importOoniMeasurement(null)).toThrow(/expected an OONI measurement object/);
    expect(() => importOoniMeasurement({ test_name: 'telegram', test_keys: {} })).toThrow(/expected test_name "web_connectivity", got "telegram"/);
    expect(() => importOoniMeasurement({ test_name: 'web_connectivity' })).toThrow(/no test_keys/);
  });

  it('refuses an input that is not an http(s) URL; drops answers that are not addresses; re-encodes a base64 body', () => {
    const base = fixture('successWithHTTP') as { input: unknown; test_keys: Record<string, unknown> };
    for (const input of [undefined, null, 42, 'not a url', 'ftp://www.example.com/']) {
      expect(() => importOoniMeasurement({ ...base, input })).toThrow(/is not an http:\/\/ or https:\/\/ URL/);
    }
    const tk = base.test_keys;
    const queries = [{ hostname: 'www.example.com', query_type: 'A', engine: 'system', failure: null, answers: [{ answer_type: 'A', ipv4: '999.1.1.1' }, { answer_type: 'AAAA', ipv6: 'zz::1' }, { answer_type: 'A', ipv4: '93.184.216.34' }] }];
    const requests = [{ request: { url: 'http://www.example.com/', headers: {} }, response: { code: 200, headers: {}, body: { format: 'base64', data: 'aGk=!!' } }, failure: null }];
    const m = importOoniMeasurement({ ...base, test_keys: { ...tk, queries, requests } });
    expect(m.observations.queries[0]?.answers.map((a) => a.ipv4 ?? a.ipv6 ?? null)).toEqual([null, null, '93.184.216.34']);
    expect(m.observations.requests[0]?.response?.body).toEqual({ format: 'base64', data: 'aGk=' });
  });

  it('reads old failure strings as the vocabulary (dns_lookup_error, Go errno text)', () => {
    expect(ooniFailure('dns_lookup_error')).toBe('dns_nxdomain_error');
    expect(ooniFailure('unknown_failure: dial tcp [scrubbed]: connect: no route to host')).toBe('host_unreachable');
    expect(ooniFailure('dial tcp [::1]:443: connect: network is unreachable')).toBe('network_unreachable');
    expect(ooniFailure('connect_error')).toBe('unknown_failure: connect_error');
  });

  it('maps queries, endpoints and requests with depth from the tags and t0 defaulting to t', () => {
    const m = importOoniMeasurement(fixture('redirectWithConsistentDNSAndThenConnectionRefusedForHTTPS'));
    expect(m.url).toBe('https://bit.ly/21645');
    const gai = m.observations.queries.filter((q) => q.engine === 'getaddrinfo');
    expect(gai.map((q) => [q.hostname, q.depth, q.resolver_address])).toEqual([['bit.ly', 0, 'system'], ['www.example.com', 1, 'system']]);
    const refused = m.observations.tcp_connect.find((c) => c.status.failure === 'connection_refused');
    expect(refused).toMatchObject({ ip: '93.184.216.34', port: 443, depth: 1, status: { success: false } });
    expect(refused?.t0).toBe(refused?.t);
    const r = m.observations.requests[0];
    expect(r?.response).toMatchObject({ code: 308, body_length: 0, title: '' });
  });

  it('computes body_length in bytes and the title with OONI regex', () => {
    const m = importOoniMeasurement(fixture('httpDiffWithConsistentDNS'));
    expect(m.observations.requests[0]?.response).toMatchObject({ code: 200, body_length: 188, title: 'Access Denied' });
    expect(extractTitle('<html><TITLE>a b</TITLE><title>second</title>')).toBe('a b');
    expect(extractTitle('<title></title>')).toBe('');
  });

  it('keeps the helper request and response, the control failure and the recorded keys', () => {
    const ok = importOoniMeasurement(fixture('successWithHTTP'));
    expect(ok.control).toMatchObject({ source: 'helper', failure: null, dns_reference: null });
    expect(ok.control.response?.dns.addrs).toEqual(['93.184.216.34']);
    expect(ok.control.request?.http_request).toBe('http://www.example.com/');
    expect(ok.recorded).toMatchObject({ blocking: false, accessible: true, dns_consistency: 'consistent', x_blocking_flags: 32 });
    const failed = importOoniMeasurement(fixture('controlFailureWithSuccessfulHTTPWebsite'));
    expect(failed.control.failure).toBe('connection_reset');
  });
});
