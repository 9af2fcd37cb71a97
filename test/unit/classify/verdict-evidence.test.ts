import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_FINGERPRINTS } from './lab-fingerprints.js';
import { describe, expect, it } from 'vitest';
import { analyzeOoni, classify, createFingerprintSet, parseFingerprints } from '../../../src/classify/index.js';
import type { ControlHop } from '../../../src/model/index.js';
import { EXAMPLE_IP, measurement, okHelper } from './build.js';

const HTTP = 'http://www.example.com/';
const HTTPS = 'https://www.example.com/';
const page = (name: string): string => readFileSync(join(import.meta.dirname, '../../../fixtures/pages', name), 'utf8');
const CF_HEADERS = { Server: 'cloudflare', 'Cf-Ray': '68013f3b0c7d498b-SIN', 'Content-Type': 'text/html; charset=UTF-8', Date: 'x', 'Alt-Svc': 'h3=":443"' };

describe('TLS interference: SNI filtering vs interference with the address (sni_probe)', () => {
  const reset = (probeFailure: string | null) => measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] })
    .endpoint({ ip: EXAMPLE_IP, tls: { failure: 'connection_reset' }, sniProbe: { serverName: 'example.org', failure: probeFailure } })
    .helper(okHelper(HTTPS)).build();

  it('says "same address with SNI example.org completed" when the harmless SNI got through', () => {
    const { verdict } = classify(reset(null));
    expect(verdict).toMatchObject({ blocking: 'tls', accessible: false, status: 'anomaly', layers: ['tls'] });
    expect(verdict.reasons).toContain('TLS handshake with 93.184.216.34:443 reset after ClientHello with SNI www.example.com; same address with SNI example.org completed: SNI-based filtering');
  });

  it('counts a certificate failure of the harmless SNI as a completed handshake (the server answered)', () => {
    expect(classify(reset('ssl_invalid_hostname')).verdict.reasons.join(' ')).toContain('same address with SNI example.org completed: SNI-based filtering');
  });

  it('says "also failed with the harmless SNI" when the address is interfered with for any SNI', () => {
    const { verdict } = classify(reset('connection_reset'));
    expect(verdict.blocking).toBe('tls');
    expect(verdict.reasons).toContain('TLS handshake with 93.184.216.34:443 reset after ClientHello with SNI www.example.com; same address with SNI example.org also failed (connection_reset): interference with the address for any SNI (IP-level)');
  });

  it('leaves every OONI key, x_* flags included, as without the extra handshake', () => {
    const without = measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: { failure: 'connection_reset' } }).helper(okHelper(HTTPS)).build();
    expect(analyzeOoni(reset(null))).toEqual(analyzeOoni(without));
    expect(analyzeOoni(reset(null)).blocking).toBe('http-failure');
  });

  it('names a refused new connection for the comparison', () => {
    const input = measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, tls: { failure: 'eof_error' }, sniProbe: { tcpFailure: 'connection_refused' } }).helper(okHelper(HTTPS)).build();
    expect(classify(input).verdict.reasons).toContain('TLS handshake with 93.184.216.34:443 closed (EOF) after ClientHello with SNI www.example.com; a new connection to the same address for SNI comparison failed (connection_refused)');
  });

  it('reports the comparison even without a helper, and stays inconclusive', () => {
    const input = measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, tls: { failure: 'generic_timeout_error' }, sniProbe: {} }).noHelper().build();
    const { verdict } = classify(input);
    expect(verdict.status).toBe('inconclusive');
    expect(verdict.reasons).toContain('TLS handshake with 93.184.216.34:443 timed out after ClientHello with SNI www.example.com; same address with SNI example.org completed: SNI-based filtering');
  });

  it('names a TLS reset at a redirect hop tls from the per-hop control (not http-failure)', () => {
    const hops: ControlHop[] = [
      { url: 'https://bit.ly/21645', depth: 0, dns: { failure: null, addrs: ['67.199.248.11'] }, tcp_connect: { '67.199.248.11:443': { status: true, failure: null } },
        tls_handshake: { '67.199.248.11:443': { server_name: 'bit.ly', status: true, failure: null } },
        http_request: { failure: null, status_code: 308, body_length: 0, body_is_truncated: false, title: '', headers: {}, location: HTTPS } },
      { url: HTTPS, depth: 1, dns: { failure: null, addrs: [EXAMPLE_IP] }, tcp_connect: { [`${EXAMPLE_IP}:443`]: { status: true, failure: null } },
        tls_handshake: { [`${EXAMPLE_IP}:443`]: { server_name: 'www.example.com', status: true, failure: null } },
        http_request: { failure: null, status_code: 200, body_length: 1533, body_is_truncated: false, title: 'Default Web Page', headers: {}, location: null } },
    ];
    const input = measurement('https://bit.ly/21645').lookup({ addrs: ['67.199.248.11'] })
      .endpoint({ ip: '67.199.248.11', tls: { serverName: 'bit.ly' }, http: { code: 308 } })
      .lookup({ hostname: 'www.example.com', addrs: [EXAMPLE_IP], depth: 1 })
      .endpoint({ ip: EXAMPLE_IP, depth: 1, tls: { serverName: 'www.example.com', failure: 'connection_reset' }, sniProbe: {} })
      .helper({ dns: { addrs: ['67.199.248.11'] }, hops }).build();
    const { verdict, ooni } = classify(input);
    expect(ooni.blocking).toBe('http-failure');
    expect(verdict).toMatchObject({ blocking: 'tls', accessible: false, status: 'anomaly' });
    expect(verdict.reasons[0]).toBe("TLS handshake with 93.184.216.34:443 (SNI www.example.com) after 1 redirect failed with connection_reset; control's handshake with the same address and SNI succeeded (OONI calls this http-failure)");
    expect(verdict.reasons).toContain('TLS handshake with 93.184.216.34:443 reset after ClientHello with SNI www.example.com; same address with SNI example.org completed: SNI-based filtering');
  });
});

/** The lab's fingerprint file is passed as `censorprobe lab` does (--fingerprints fixtures/fingerprints/lab.jsonl). */
const LAB = { fingerprints: LAB_FINGERPRINTS };

describe('fingerprints in the verdict', () => {
  it('confirms an injected blockpage over HTTP (http-diff, confirmed) and names the fingerprint', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, http: { code: 200, body: page('blockpage.html'), bodyLength: 188, title: 'Access Denied', headers: {} } })
      .helper(okHelper(HTTP)).build();
    const { verdict, ooni } = classify(input, LAB);
    expect(ooni.blocking).toBe('http-diff');
    expect(verdict).toMatchObject({ blocking: 'http-diff', accessible: false, status: 'confirmed', fingerprints: ['censorprobe.lab_access_denied'] });
    expect(verdict.reasons[0]).toMatch(/^the body of the response to http:\/\/www\.example\.com\/ \(depth 0\) is a known blockpage: fingerprint censorprobe\.lab_access_denied \(blockpage, scope isp, IT, confidence 8\)$/);
  });

  it('does not call the Cloudflare CAPTCHA over HTTP http-diff, and says why (OONI does)', () => {
    const input = measurement('http://www.cloudflare-cache.com/').lookup({ addrs: ['104.16.132.229'] })
      .endpoint({ ip: '104.16.132.229', http: { code: 503, body: page('cloudflare_captcha.html'), bodyLength: 8432, title: 'Just a moment...', headers: CF_HEADERS } })
      .helper({ dns: { addrs: ['104.16.132.229'] }, tcp: { '104.16.132.229:80': null }, http: { code: 200, bodyLength: 1533, headers: CF_HEADERS } }).build();
    const { verdict, ooni } = classify(input);
    expect(ooni.blocking).toBe('http-diff');
    expect(verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok', layers: [], fingerprints: ['censorprobe.fp_cloudflare_challenge'] });
    expect(verdict.reasons.join(' ')).toContain('matches fingerprint censorprobe.fp_cloudflare_challenge (known false positive, scope cdn, confidence 9): served by the site or its CDN, not censorship, so not http-diff (OONI reports http-diff)');
  });

  it('confirms a blockpage even when the control could not fetch the page, and without any helper', () => {
    const blocked = (b: ReturnType<typeof measurement>) => b.lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, http: { code: 200, body: page('blockpage.html'), bodyLength: 188, title: 'Access Denied', headers: {} } });
    const failedControl = blocked(measurement(HTTP)).helper({ ...okHelper(HTTP), http: { failure: 'generic_timeout_error' } }).build();
    expect(classify(failedControl, LAB).verdict).toMatchObject({ blocking: 'http-diff', status: 'confirmed' });
    const noHelper = blocked(measurement(HTTP)).noHelper('connection_refused').build();
    expect(classify(noHelper, LAB).verdict).toMatchObject({ blocking: 'http-diff', accessible: false, status: 'confirmed', fingerprints: ['censorprobe.lab_access_denied'] });
  });

  it('confirms DNS pointing at a known blockpage server address', () => {
    const input = measurement(HTTP).lookup({ addrs: ['83.224.65.41'] })
      .endpoint({ ip: '83.224.65.41', http: { code: 200, body: page('blockpage.html'), bodyLength: 188, title: 'Access Denied' } })
      .helper(okHelper(HTTP)).build();
    const { verdict } = classify(input, LAB);
    expect(verdict).toMatchObject({ blocking: 'dns', accessible: false, status: 'confirmed', layers: ['dns'] });
    expect(verdict.fingerprints).toEqual(['censorprobe.lab_blockpage_server', 'censorprobe.lab_access_denied']);
    expect(verdict.reasons[0]).toContain('DNS answer 83.224.65.41 for www.example.com is a known blockpage address');
  });

  it('never confirms on a weak (vague word) fingerprint alone, and can be switched off', () => {
    const weak = createFingerprintSet(parseFingerprints('{"id":"t.vbw","kind":"blockpage","scope":"vbw","location":"body","pattern_type":"contains","pattern":"Denied"}\n', 't.jsonl').fingerprints);
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, http: { code: 403, body: '<h1>Denied</h1>', bodyLength: 15, title: 'Denied', headers: {} } })
      .helper(okHelper(HTTP)).build();
    const { verdict } = classify(input, { fingerprints: weak });
    expect(verdict).toMatchObject({ blocking: 'http-diff', status: 'anomaly' });
    expect(verdict.reasons.join(' ')).toContain('matches fingerprint t.vbw (blockpage, scope vbw, weak): too vague to confirm on its own');
    const blockpage = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, http: { code: 200, body: page('blockpage.html'), bodyLength: 188, title: 'Access Denied', headers: {} } }).helper(okHelper(HTTP)).build();
    expect(classify(blockpage, { fingerprints: null }).verdict).toMatchObject({ blocking: 'http-diff', status: 'anomaly' });
  });

  it('does not apply fingerprints to a verified HTTPS response (the site\'s own content)', () => {
    const input = measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, tls: {}, http: { code: 200, body: 'This request cannot be served in your jurisdiction.' } }).helper(okHelper(HTTPS)).build();
    expect(classify(input).verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok' });
  });
});

describe('DNS consistency done properly', () => {
  it('unwraps NAT64 (64:ff9b::/96) answers before comparing with the control', () => {
    const input = measurement(HTTP).lookup({ addrs: ['64:ff9b::5db8:d822'] })
      .endpoint({ ip: '64:ff9b::5db8:d822', http: {} }).helper(okHelper(HTTP)).build();
    expect(classify(input).verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok' });
  });

  it('accepts different addresses in the same ASN and says so with the AS number', () => {
    const input = measurement(HTTP).lookup({ addrs: ['104.16.132.230'] }).endpoint({ ip: '104.16.132.230', http: {} })
      .helper({ dns: { addrs: ['104.16.132.229'] }, tcp: { '104.16.132.229:80': null } }).build();
    const asnLookup = (ip: string): number => (ip.startsWith('104.16.') ? 13335 : 0);
    const { verdict, ooni } = classify(input, { asnLookup });
    expect(ooni.dns_consistency).toBe('consistent');
    expect(verdict).toMatchObject({ blocking: null, accessible: true });
    expect(verdict.evidence?.[0]).toMatchObject({ layer: 'dns', kind: 'dns_same_network', hop: 0, effect: 'note', figures: { common_asn: 13335 } });
    // Without ASN data the same observations are DNS blocking, with both addresses in the reason.
    const bare = classify(input, { asnLookup: () => 0 }).verdict;
    expect(bare.blocking).toBe('dns');
    expect(bare.evidence?.[0]).toMatchObject({ layer: 'dns', kind: 'dns_other_network', effect: 'diverged', detail: { addrs: ['104.16.132.230'], control_addrs: ['104.16.132.229'] } });
  });

  it('prefers the ASNs recorded in the answers (OONI measurements) over the lookup hook', () => {
    const b = measurement(HTTP).lookup({ addrs: ['198.51.99.1'] }).endpoint({ ip: '198.51.99.1', http: {} })
      .helper({ dns: { addrs: ['198.51.99.2'] }, ipInfo: { '198.51.99.2': 64500 } });
    const answer = b.observations.queries[0]?.answers[0];
    if (answer) answer.asn = 64500;
    expect(classify(b.build(), { asnLookup: () => 1 }).verdict.blocking).toBeNull();
  });

  it('accepts an https address the helper verified with TLS for the name (ip_info flag 8)', () => {
    const other = '203.0.114.7';
    const b = measurement(HTTPS).lookup({ addrs: [other] }).endpoint({ ip: other, tls: { failure: 'connection_reset' } })
      .helper({ ...okHelper(HTTPS), tls: { [`${EXAMPLE_IP}:443`]: null, [`${other}:443`]: null } });
    const input = b.build();
    const resp = input.control.response;
    if (resp) resp.ip_info = { [other]: { asn: 0, flags: 1 | 8 }, [EXAMPLE_IP]: { asn: 0, flags: 2 | 8 } };
    const { verdict } = classify(input, { asnLookup: () => 0 });
    expect(verdict.blocking).toBe('tls');
    expect(verdict.evidence?.[0]).toMatchObject({ layer: 'dns', kind: 'dns_helper_tls_verified', effect: 'genuine', detail: expect.objectContaining({ verified_at: '203.0.114.7' }) });
  });

  it('calls a DNS answer pointing at a transparent proxy that serves the genuine page dns with accessible true', () => {
    const input = measurement(HTTP).lookup({ addrs: ['130.192.182.17'] }).endpoint({ ip: '130.192.182.17', http: {} }).helper(okHelper(HTTP)).build();
    const { verdict } = classify(input, { asnLookup: () => 0 });
    expect(verdict).toMatchObject({ blocking: 'dns', accessible: true, status: 'anomaly' });
    expect(verdict.reasons.join(' ')).toContain('a transparent proxy');
  });
});

describe('not blocking', () => {
  it('treats IPv6 network_unreachable on the probe while IPv4 works as accessible', () => {
    const v6 = '2606:2800:220:1:248:1893:25c8:1946';
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP, v6] })
      .endpoint({ ip: v6, tcpFailure: 'network_unreachable' }).endpoint({ ip: EXAMPLE_IP, http: {} })
      .helper({ dns: { addrs: [EXAMPLE_IP, v6] }, tcp: { [`${EXAMPLE_IP}:80`]: null, [`[${v6}]:80`]: null } }).build();
    const { verdict, ooni } = classify(input);
    expect(ooni).toMatchObject({ blocking: false, accessible: true });
    expect(verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok', layers: [] });
  });

  it('does not call a page that differs only in dynamic content http-diff', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, http: { bodyLength: 1498, title: 'Default Web Page' } })
      .helper({ ...okHelper(HTTP), http: { bodyLength: 1533 } }).build();
    const { verdict } = classify(input);
    expect(verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok' });
  });

  it('calls a website that fails for the control too down', () => {
    const input = measurement('http://www.example.xyz/').lookup({ failure: 'dns_nxdomain_error' })
      .helper({ dns: { failure: 'dns_name_error', addrs: [] }, http: { failure: 'dns_lookup_error' } }).build();
    expect(classify(input).verdict).toMatchObject({ blocking: null, accessible: false, status: 'down' });
  });
});
