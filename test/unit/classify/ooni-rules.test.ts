import { describe, expect, it } from 'vitest';
import { analyzeOoni } from '../../../src/classify/ooni.js';
import { EXAMPLE_IP, measurement, okHelper as baseHelper, type HelperSpec } from './build.js';

const HTTP = 'http://www.example.com/';
const HTTPS = 'https://www.example.com/';
const okHelper = (url = HTTP): HelperSpec => baseHelper(url);

describe('LTE rule 1: a successful final response', () => {
  it('over TLS gives blocking false, accessible true even when the page differs', () => {
    const input = measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, tls: {}, http: { code: 503, bodyLength: 8432, title: 'Just a moment...' } })
      .helper(okHelper(HTTPS)).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible]).toEqual([false, true]);
    expect(a.status_code_match).toBe(false);
    expect(a.x_blocking_flags).toBe(32);
  });
  it('over cleartext without a helper gives null/null', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, http: {} }).noHelper('connection_reset').build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.dns_consistency, a.control_failure]).toEqual([null, null, null, 'connection_reset']);
  });
  it('over cleartext matching the control gives false/true', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, http: {} }).helper(okHelper()).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.body_length_match, a.status_code_match, a.headers_match, a.title_match, a.body_proportion])
      .toEqual([false, true, true, true, true, true, 1]);
  });
  it('over cleartext differing from the control gives http-diff', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, http: { bodyLength: 188, title: 'Access Denied', headers: { 'Content-Type': 'text/html' } } })
      .helper(okHelper()).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.body_length_match, a.status_code_match, a.headers_match, a.title_match])
      .toEqual(['http-diff', false, false, true, false, false]);
  });
});

describe('LTE rule 2: a failed HTTP round trip', () => {
  it('is http-failure when the helper fetched the page', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, http: { failure: 'connection_reset' } }).helper(okHelper()).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.http_experiment_failure]).toEqual(['http-failure', false, 'connection_reset']);
  });
  it('is website down (false/false) when the helper failed too', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, http: { failure: 'generic_timeout_error' } })
      .helper({ ...okHelper(), http: { failure: 'generic_timeout_error' } }).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.http_experiment_failure]).toEqual([false, false, 'generic_timeout_error']);
  });
});

describe('LTE rule 3: a failed TLS handshake', () => {
  it('is http-failure when the helper handshake succeeded', () => {
    const input = measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: { failure: 'connection_reset' } }).helper(okHelper(HTTPS)).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.http_experiment_failure, a.x_blocking_flags]).toEqual(['http-failure', false, 'connection_reset', 4]);
  });
  it('is website down when the helper handshake failed too (bad certificate)', () => {
    const input = measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: { failure: 'ssl_unknown_authority' } })
      .helper({ ...okHelper(HTTPS), tls: { [`${EXAMPLE_IP}:443`]: 'ssl_unknown_authority' }, http: { failure: 'unknown_error' } }).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.x_null_null_flags]).toEqual([false, false, 4]);
  });
  it('ignores a helper handshake made with another SNI', () => {
    const input = measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: { failure: 'connection_reset' } })
      .helper({ ...okHelper(HTTPS), tls: { [`${EXAMPLE_IP}:443`]: { serverName: 'other.example', failure: 'ssl_invalid_hostname' } } }).build();
    // no TLS control for this endpoint + the helper fetched the page → http-failure (rule 3.1.2)
    expect(analyzeOoni(input).blocking).toBe('http-failure');
  });
});

describe('LTE rule 4: a failed TCP connect', () => {
  it('is tcp_ip when the helper connected to the same endpoint', () => {
    const input = measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tcpFailure: 'generic_timeout_error' }).helper(okHelper(HTTPS)).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.http_experiment_failure, a.x_blocking_flags]).toEqual(['tcp_ip', false, 'generic_timeout_error', 2]);
  });
  it('is http-failure when there is no control for the endpoint (a redirect) but the helper fetched the page', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, http: { code: 302 } })
      .lookup({ hostname: 'www.example.org', addrs: ['93.184.216.35'], depth: 1 })
      .endpoint({ ip: '93.184.216.35', depth: 1, tcpFailure: 'connection_refused' })
      .helper(okHelper()).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.http_experiment_failure, a.x_blocking_flags]).toEqual(['http-failure', false, 'connection_refused', 2]);
  });
  it('is website down when the helper could not connect either', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tcpFailure: 'connection_refused' })
      .helper({ dns: { addrs: [EXAMPLE_IP] }, tcp: { [`${EXAMPLE_IP}:80`]: 'connection_refused_error' }, http: { failure: 'connection_refused_error' } }).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.x_null_null_flags]).toEqual([false, false, 2]);
  });
});

describe('LTE rule 5: a failed DNS lookup', () => {
  it('is dns when the helper resolved the name', () => {
    const input = measurement(HTTPS).lookup({ failure: 'dns_nxdomain_error' }).helper(okHelper(HTTPS)).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.dns_consistency, a.dns_experiment_failure, a.http_experiment_failure, a.x_dns_flags])
      .toEqual(['dns', false, 'inconsistent', 'dns_nxdomain_error', 'dns_nxdomain_error', 2]);
  });
  it('is website down when the helper failed too, whatever the strings', () => {
    const input = measurement(HTTP).lookup({ failure: 'dns_servfail_error' })
      .helper({ dns: { failure: 'dns_name_error' }, http: { failure: 'dns_lookup_error' } }).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.dns_consistency, a.http_experiment_failure, a.x_null_null_flags]).toEqual([false, false, 'consistent', 'dns_servfail_error', 1]);
  });
  it('is website down without http_experiment_failure when the probe says dns_no_answer and the helper resolved nothing', () => {
    const input = measurement(HTTP).lookup({ failure: 'dns_no_answer' }).helper({ dns: { addrs: [] }, http: { failure: 'dns_lookup_error' } }).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.dns_consistency, a.http_experiment_failure]).toEqual([false, false, 'consistent', null]);
  });
  it('QUIRK (as coded): without any DNS control, a DNS failure gives blocking false, accessible true', () => {
    const input = measurement(HTTPS).lookup({ failure: 'dns_nxdomain_error' }).noHelper('generic_timeout_error').build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.dns_consistency, a.http_experiment_failure]).toEqual([false, true, null, 'dns_nxdomain_error']);
  });
  it('ignores DoH failures and AAAA dns_no_answer for consistency', () => {
    const input = measurement(HTTP)
      .lookup({ addrs: [EXAMPLE_IP] })
      .lookup({ engine: 'doh', failure: 'generic_timeout_error' })
      .lookup({ engine: 'udp', queryType: 'AAAA', failure: 'dns_no_answer' })
      .endpoint({ ip: EXAMPLE_IP, http: {} }).helper(okHelper()).build();
    const a = analyzeOoni(input);
    expect([a.dns_consistency, a.dns_experiment_failure, a.x_dns_flags]).toEqual(['consistent', null, 0]);
  });
});

describe('LTE rules 6-8: loopback answers and the default', () => {
  it('rule 6: only-loopback answers while the helper resolved real addresses is dns', () => {
    const input = measurement(HTTP).lookup({ addrs: ['127.0.0.1'] }).helper(okHelper()).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.dns_consistency, a.x_dns_flags]).toEqual(['dns', false, 'inconsistent', 5]);
  });
  it('rule 7: only-loopback answers on both sides is website down', () => {
    const input = measurement(HTTP).lookup({ addrs: ['127.0.0.1'] }).helper({ dns: { addrs: ['127.0.0.1'] }, http: { failure: 'unknown_error' } }).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.dns_consistency, a.x_dns_flags, a.x_blocking_flags]).toEqual([false, false, 'consistent', 1, 0]);
  });
  it('rule 8: nothing conclusive gives null/null', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP }).helper(okHelper()).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible]).toEqual([null, null]);
  });
});

describe('dns_consistency and the setBlocking helpers', () => {
  it('accepts different addresses in the same non-zero ASN (from the helper ip_info)', () => {
    const input = measurement(HTTP).lookup({ addrs: ['93.184.216.1'] }).endpoint({ ip: '93.184.216.1', http: {} })
      .helper({ ...okHelper(), ipInfo: { '93.184.216.1': 15133, [EXAMPLE_IP]: 15133 } }).build();
    expect(analyzeOoni(input).dns_consistency).toBe('consistent');
  });
  it('uses the asnLookup hook when given', () => {
    const input = measurement(HTTP).lookup({ addrs: ['93.184.216.1'] }).endpoint({ ip: '93.184.216.1', http: {} }).helper(okHelper()).build();
    expect(analyzeOoni(input).dns_consistency).toBe('inconsistent');
    expect(analyzeOoni(input, { asnLookup: (ip) => (ip.startsWith('93.184.216.') ? 15133 : 0) }).dns_consistency).toBe('consistent');
  });
  it('never matches on ASN 0', () => {
    const input = measurement(HTTP).lookup({ addrs: ['10.10.34.35'] }).helper({ ...okHelper(), ipInfo: { '10.10.34.35': 0, [EXAMPLE_IP]: 0 } }).build();
    expect(analyzeOoni(input).dns_consistency).toBe('inconsistent');
  });
  it('is inconsistent when the probe resolved addresses and the helper none (ghost domain), and blocking becomes dns', () => {
    const input = measurement(HTTP).lookup({ addrs: ['83.224.65.41'] }).endpoint({ ip: '83.224.65.41', http: { bodyLength: 188, title: 'Blocked' } })
      .helper({ dns: { failure: 'dns_name_error' }, http: { failure: 'dns_lookup_error' } }).build();
    const a = analyzeOoni(input);
    expect([a.dns_consistency, a.blocking, a.accessible, a.x_null_null_flags & 16]).toEqual(['inconsistent', 'dns', false, 16]);
  });
  it('turns a failure string into dns when DNS is inconsistent (bogon answer, timeout to it)', () => {
    const input = measurement(HTTPS).lookup({ addrs: ['10.10.34.35'] }).endpoint({ ip: '10.10.34.35', tcpFailure: 'generic_timeout_error' })
      .helper(okHelper(HTTPS)).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.dns_consistency, a.http_experiment_failure]).toEqual(['dns', false, 'inconsistent', 'generic_timeout_error']);
  });
  it('is null without a helper', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).noHelper().build();
    expect(analyzeOoni(input).dns_consistency).toBeNull();
  });
});

describe('the classic filter', () => {
  it('ignores endpoints on addresses learnt only from the helper', () => {
    const input = measurement(HTTPS).lookup({ addrs: ['127.0.0.1'] })
      .endpoint({ ip: EXAMPLE_IP, classic: false, tls: {}, http: {} })
      .helper(okHelper(HTTPS)).build();
    const a = analyzeOoni(input);
    // the fetch through the helper's address is not classic: rule 6 decides, but x_blocking_flags sees the success
    expect([a.blocking, a.accessible, a.x_blocking_flags]).toEqual(['dns', false, 33]);
  });
  it('ignores connectivity checks tagged fetch_body=false', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, port: 443, fetchBody: false, tcpFailure: 'connection_refused' })
      .endpoint({ ip: EXAMPLE_IP, http: {} })
      .helper({ ...okHelper(), tcp: { [`${EXAMPLE_IP}:80`]: null, [`${EXAMPLE_IP}:443`]: null } }).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.accessible, a.x_blocking_flags]).toEqual([false, true, 34]);
  });
  it('treats lookups tagged classic (our primary UDP resolver) like getaddrinfo', () => {
    const input = measurement(HTTPS).lookup({ engine: 'udp', tags: ['depth=0', 'classic'], failure: 'dns_nxdomain_error', queryType: 'A' })
      .helper(okHelper(HTTPS)).build();
    const a = analyzeOoni(input);
    expect([a.blocking, a.dns_experiment_failure]).toEqual(['dns', 'dns_nxdomain_error']);
  });
});
