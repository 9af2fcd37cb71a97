import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/classify/index.js';
import type { ControlHop } from '../../../src/model/index.js';
import { EXAMPLE_IP, measurement, okHelper as baseHelper, type HelperSpec } from './build.js';

const HTTP = 'http://www.example.com/';
const HTTPS = 'https://www.example.com/';
const okHelper = (url = HTTP): HelperSpec => baseHelper(url);

describe('our verdict with a helper', () => {
  it('calls a cleartext page that matches the control ok and accessible', () => {
    const { verdict } = classify(measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, http: {} }).helper(okHelper()).build());
    expect(verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok', layers: [] });
    expect(verdict.reasons.join(' ')).toContain('body 1533 vs 1533 bytes');
  });

  it('names a bogon DNS answer with both addresses', () => {
    const { verdict } = classify(measurement(HTTPS).lookup({ addrs: ['10.10.34.35'] }).endpoint({ ip: '10.10.34.35', tcpFailure: 'generic_timeout_error' })
      .helper(okHelper(HTTPS)).build());
    expect(verdict).toMatchObject({ blocking: 'dns', accessible: false, status: 'anomaly', layers: ['dns'] });
    expect(verdict.evidence?.[0]).toMatchObject({ layer: 'dns', kind: 'dns_bogon_answer', effect: 'diverged', detail: { bogons: ['10.10.34.35'], all_bogon: true, control_addrs: ['93.184.216.34'] } });
  });

  it('calls NXDOMAIN while the control resolved the name dns', () => {
    const { verdict } = classify(measurement(HTTPS).lookup({ failure: 'dns_nxdomain_error' }).helper(okHelper(HTTPS)).build());
    expect(verdict).toMatchObject({ blocking: 'dns', accessible: false, status: 'anomaly' });
    expect(verdict.reasons[0]).toContain('dns_nxdomain_error');
    expect(verdict.reasons[0]).toContain(EXAMPLE_IP);
  });

  it('calls the same failure on probe and control down, with blocking null and accessible false', () => {
    const { verdict, ooni } = classify(measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, port: 444, tcpFailure: 'connection_refused' })
      .helper({ dns: { addrs: [EXAMPLE_IP] }, tcp: { [`${EXAMPLE_IP}:444`]: 'connection_refused_error' }, http: { failure: 'connection_refused_error' } }).build());
    expect(ooni.blocking).toBe(false);
    expect(verdict).toMatchObject({ blocking: null, accessible: false, status: 'down', layers: [] });
    expect(verdict.reasons[0]).toContain('connection_refused_error');
  });

  it('calls a name that neither side resolves down only when both resolvers answered', () => {
    const bothAnswered = classify(measurement(HTTPS).lookup({ failure: 'dns_nxdomain_error' })
      .helper({ dns: { failure: 'dns_name_error', addrs: [] }, http: { failure: 'dns_lookup_error' } }).build());
    expect(bothAnswered.verdict).toMatchObject({ blocking: null, accessible: false, status: 'down' });
    // An unreachable resolver (timeout, refused) says nothing about the name.
    const unreachable = classify(measurement(HTTPS).lookup({ failure: 'generic_timeout_error' })
      .helper({ dns: { failure: 'dns_name_error', addrs: [] }, http: { failure: 'dns_lookup_error' } }).build());
    expect(unreachable.verdict).toMatchObject({ blocking: null, status: 'inconclusive' });
    expect(unreachable.verdict.reasons[0]).toContain("the probe's resolver did not answer, so nothing is known about the name");
  });

  it('calls a TCP connect that only the probe could not make tcp_ip', () => {
    const { verdict } = classify(measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tcpFailure: 'generic_timeout_error' }).helper(okHelper(HTTPS)).build());
    expect(verdict).toMatchObject({ blocking: 'tcp_ip', accessible: false, status: 'anomaly' });
  });

  it('calls a reset during the TLS handshake tls (not http-failure) and says it deviates from OONI', () => {
    const { verdict, ooni } = classify(measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: { failure: 'connection_reset' } }).helper(okHelper(HTTPS)).build());
    expect(ooni.blocking).toBe('http-failure');
    expect(verdict).toMatchObject({ blocking: 'tls', accessible: false, status: 'anomaly', layers: ['tls'] });
    expect(verdict.reasons.join(' ')).toContain('93.184.216.34:443 (SNI www.example.com) failed with connection_reset');
    expect(verdict.reasons.join(' ')).toContain('deviation from OONI');
  });

  it('calls a certificate that fails verification while the control verified a forged certificate: tls, confirmed', () => {
    const { verdict } = classify(measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, tls: { failure: 'ssl_unknown_authority', issuer: 'CN=Totally Legit CA' } }).helper(okHelper(HTTPS)).build());
    expect(verdict).toMatchObject({ blocking: 'tls', accessible: false, status: 'confirmed' });
    expect(verdict.reasons.join(' ')).toContain('CN=Totally Legit CA');
    expect(verdict.reasons.join(' ')).toContain('forged certificate');
  });

  it('calls a bad certificate that the control sees too down', () => {
    const { verdict } = classify(measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: { failure: 'ssl_invalid_certificate' } })
      .helper({ ...okHelper(HTTPS), tls: { [`${EXAMPLE_IP}:443`]: 'ssl_invalid_certificate' }, http: { failure: 'unknown_error' } }).build());
    expect(verdict).toMatchObject({ blocking: null, accessible: false, status: 'down' });
  });

  it('names the layer of a failure after a redirect from the per-hop control: a refused connect at hop 2 is tcp_ip', () => {
    const other = '93.184.216.35';
    const hops: ControlHop[] = [
      { url: HTTP, depth: 0, dns: { failure: null, addrs: [EXAMPLE_IP] }, tcp_connect: { [`${EXAMPLE_IP}:80`]: { status: true, failure: null } }, tls_handshake: {},
        http_request: { failure: null, status_code: 302, body_length: 0, body_is_truncated: false, title: '', headers: {}, location: 'http://www.example.org/' } },
      { url: 'http://www.example.org/', depth: 1, dns: { failure: null, addrs: [other] }, tcp_connect: { [`${other}:80`]: { status: true, failure: null } }, tls_handshake: {},
        http_request: { failure: null, status_code: 200, body_length: 1533, body_is_truncated: false, title: 'Default Web Page', headers: {}, location: null } },
    ];
    const { verdict, ooni } = classify(measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, http: { code: 302 } })
      .lookup({ hostname: 'www.example.org', addrs: [other], depth: 1 })
      .endpoint({ ip: other, depth: 1, tcpFailure: 'connection_refused' })
      .helper({ ...okHelper(), hops }).build());
    expect(ooni.blocking).toBe('http-failure');
    expect(verdict).toMatchObject({ blocking: 'tcp_ip', accessible: false, status: 'anomaly' });
    expect(verdict.reasons[0]).toBe('TCP connect after 1 redirect failed (93.184.216.35:80 connection_refused); control connected to the same address');
  });

  it('does not call DNS answers that differ from the control blocking when TLS verified them for the name (CDN)', () => {
    const cdn = '104.16.132.229';
    const { verdict, ooni } = classify(measurement(HTTPS).lookup({ addrs: [cdn] }).endpoint({ ip: cdn, tls: {}, http: {} }).helper(okHelper(HTTPS)).build());
    expect(ooni.dns_consistency).toBe('inconsistent');
    expect(verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok', layers: [] });
    expect(verdict.reasons.join(' ')).toContain('the address serves the genuine site (a CDN, or a proxy passing TLS through), not DNS blocking');
  });

  it('calls a DNS answer pointing at a transparent proxy that served the genuine page dns with accessible true', () => {
    const proxy = '130.192.182.17';
    const { verdict, ooni } = classify(measurement(HTTP).lookup({ addrs: [proxy] }).endpoint({ ip: proxy, http: {} })
      .helper({ dns: { addrs: [EXAMPLE_IP] }, tcp: { [`${proxy}:80`]: null } }).build());
    expect([ooni.blocking, ooni.accessible]).toEqual([false, true]);
    expect(verdict).toMatchObject({ blocking: 'dns', accessible: true, status: 'anomaly', layers: ['dns'] });
    expect(verdict.reasons.join(' ')).toContain('transparent proxy');
  });

  it('calls a blockpage served over cleartext http-diff with the numbers', () => {
    const { verdict } = classify(measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, http: { bodyLength: 188, title: 'Access Denied', headers: { 'Content-Type': 'text/html' } } }).helper(okHelper()).build());
    expect(verdict).toMatchObject({ blocking: 'http-diff', accessible: false, status: 'anomaly' });
    expect(verdict.reasons[0]).toContain('body 188 vs 1533 bytes (proportion 0.12)');
  });

  it('calls an HTTP failure after a good handshake http-failure, or throttling when the hook says so', () => {
    const input = measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: {}, http: { failure: 'generic_timeout_error' } }).helper(okHelper(HTTPS)).build();
    expect(classify(input).verdict.blocking).toBe('http-failure');
    const throttled = classify(input, { detectThrottling: () => 'median 12 kB/s over 30 s while the control got 4 MB/s' }).verdict;
    expect(throttled).toMatchObject({ blocking: 'throttling', status: 'anomaly', layers: ['throttling'] });
  });
});

describe('our verdict without a helper', () => {
  it('is inconclusive when the probe could not resolve or connect at all (an offline machine is never "blocked")', () => {
    const { verdict } = classify(measurement(HTTPS).lookup({ failure: 'dns_servfail_error' }).noHelper('network_unreachable', { failure: 'network_unreachable' }).build());
    expect(verdict).toMatchObject({ blocking: null, accessible: null, status: 'inconclusive', layers: [] });
  });

  it('is inconclusive for a cleartext success with nothing to compare to', () => {
    const { verdict } = classify(measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, http: {} }).noHelper().build());
    expect(verdict.status).toBe('inconclusive');
  });

  it('calls a local NXDOMAIN dns (anomaly) when the DoH reference resolves the name', () => {
    const { verdict, ooni } = classify(measurement(HTTPS).lookup({ failure: 'dns_nxdomain_error' }).noHelper('generic_timeout_error', { addrs: [EXAMPLE_IP] }).build());
    // QUIRK of OONI LTE rule 5.1.1: a DNS failure without any control gives blocking false, accessible true.
    expect([ooni.blocking, ooni.accessible, ooni.control_failure]).toEqual([false, true, 'generic_timeout_error']);
    expect(verdict).toMatchObject({ blocking: 'dns', accessible: false, status: 'anomaly', layers: ['dns'] });
    expect(verdict.reasons.join(' ')).toContain('dns_nxdomain_error');
    expect(verdict.evidence?.find((e) => e.kind === 'dns_lookup_failed')).toMatchObject({ effect: 'diverged', detail: { reference: 'https://dns.google/dns-query', control_addrs: ['93.184.216.34'] } });
  });

  it('calls a verified HTTPS success accessible and ok', () => {
    const { verdict } = classify(measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: {}, http: {} }).noHelper().build());
    expect(verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok' });
  });

  it('does not trust an HTTPS success made without certificate verification', () => {
    const { verdict } = classify(measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: { noTlsVerify: true }, http: {} }).noHelper().build());
    expect(verdict.status).toBe('inconclusive');
  });
});

describe('our verdict when the control has DNS problems of its own', () => {
  it('does not call DNS blocking when the control resolver failed with a generic error', () => {
    const { verdict } = classify(measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: {}, http: {} })
      .helper({ ...baseHelper(HTTPS), dns: { failure: 'unknown_error' } }).build());
    expect(verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok' });
    expect(verdict.reasons[0]).toContain('DNS not compared');
  });
});

describe('targets that are never dialed', () => {
  it('says that a loopback target was not measured, instead of only blaming the control', () => {
    const { verdict } = classify(measurement('http://127.0.0.1:18080/').build());
    expect(verdict.status).toBe('inconclusive');
    expect(verdict.reasons[0]).toBe('127.0.0.1 is a loopback address: the probe does not connect to loopback, so nothing was measured there');
  });
});
