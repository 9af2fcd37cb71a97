/**
 * The verdict rules of docs/verdict-rules.md on hand-made measurements, asserting the typed evidence
 * (layer, kind, hop, effect, cites, figures), never the wording. The same kinds run end to end
 * through the CLI in test/e2e/cases.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify, redirectOf } from '../../../src/classify/index.js';
import type { ControlHop, HttpRequestObservation, ResolverIdentity, VerdictEvidence } from '../../../src/model/index.js';
import { importOoniMeasurement } from '../../../src/ooni/import.js';
import { EXAMPLE_IP, measurement, okHelper } from './build.js';

const HTTP = 'http://www.example.com/';
const HTTPS = 'https://www.example.com/';
const kinds = (e: VerdictEvidence[] | undefined): string[] => (e ?? []).map((x) => x.kind);

function hop(depth: number, url: string, http: Partial<NonNullable<ControlHop['http_request']>>): ControlHop {
  return {
    url, depth, dns: { failure: null, addrs: [EXAMPLE_IP] }, tcp_connect: {}, tls_handshake: {},
    http_request: { failure: null, status_code: 200, body_length: 1533, body_is_truncated: false, title: 'Default Web Page', headers: {}, location: null, ...http },
  };
}

describe('DNS', () => {
  it('a bogon among real answers is dns (anomaly) even when the page is genuine', () => {
    const input = measurement(HTTPS).lookup({ addrs: ['172.22.0.249', EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, tls: {}, http: {} }).helper(okHelper(HTTPS)).build();
    const { verdict } = classify(input);
    expect(verdict).toMatchObject({ blocking: 'dns', accessible: true, status: 'anomaly', layers: ['dns'] });
    expect(verdict.evidence?.[0]).toMatchObject({ layer: 'dns', kind: 'dns_bogon_answer', hop: 0, effect: 'diverged', figures: { bogons: 1, addresses: 2 },
      cites: [{ list: 'queries', index: 0, transaction_id: 1 }, { list: 'control', key: 'dns' }] });
  });

  it('an address not dialled (bogon) is cited, never counted as a TCP failure; the dropped genuine address is tcp_ip after dns', () => {
    const input = measurement(HTTPS).lookup({ addrs: ['172.22.0.249', EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, tcpFailure: 'generic_timeout_error' }).helper(okHelper(HTTPS)).build();
    input.observations.x_not_dialled = [{ ip: '172.22.0.249', port: 443, depth: 0, reason: 'bogon' }];
    const { verdict } = classify(input);
    expect(verdict).toMatchObject({ blocking: 'dns', accessible: false, status: 'anomaly', layers: ['dns', 'tcp_ip'] });
    expect(verdict.evidence).toContainEqual(expect.objectContaining({ kind: 'tcp_not_dialled', effect: 'note', cites: [{ list: 'x_not_dialled', index: 0 }] }));
    const tcp = verdict.evidence?.find((e) => e.kind === 'tcp_connect_failed');
    expect(tcp?.figures).toEqual({ endpoints: 1, control_connected: 1 });
  });

  it('only bogons, none dialled: dns, and no TCP failure at all', () => {
    const input = measurement(HTTPS).lookup({ addrs: ['10.10.34.35'] }).helper(okHelper(HTTPS)).build();
    input.observations.x_not_dialled = [{ ip: '10.10.34.35', port: 443, depth: 0, reason: 'bogon' }];
    const { verdict } = classify(input);
    expect(verdict).toMatchObject({ blocking: 'dns', accessible: false, status: 'anomaly', layers: ['dns'] });
    expect(kinds(verdict.evidence).slice(0, 2)).toEqual(['dns_bogon_answer', 'tcp_not_dialled']);
    expect(verdict.evidence?.filter((e) => e.layer === 'tcp_ip' && e.effect !== 'note')).toEqual([]);
  });

  it('our UDP resolver that answered the first hop and times out for the next name: dns, not an unreachable resolver', () => {
    const input = measurement('https://bit.ly/x').lookup({ engine: 'udp', addrs: ['67.199.248.11'], hostname: 'bit.ly', tags: ['classic', 'depth=0'] })
      .endpoint({ ip: '67.199.248.11', tls: {}, http: { code: 301, headers: { Location: HTTPS }, bodyLength: 0, title: '' } })
      .lookup({ engine: 'udp', failure: 'generic_timeout_error', hostname: 'www.example.com', depth: 1, tags: ['classic', 'depth=1'] })
      .helper({ ...okHelper(HTTPS), hops: [hop(0, 'https://bit.ly/x', { status_code: 301, location: HTTPS }), hop(1, HTTPS, {})] }).build();
    const { verdict } = classify(input);
    expect(verdict).toMatchObject({ blocking: 'dns', accessible: false, status: 'anomaly' });
    expect(verdict.evidence).toContainEqual(expect.objectContaining({ kind: 'dns_lookup_failed', hop: 1, effect: 'diverged' }));
  });

  it('our UDP resolver answered another lookup of the run (AAAA of the same name, or the whoami): dns; a DoH resolver that answered hop 0 and fails at hop 1: still unreachable', () => {
    const sameHop = measurement(HTTP).lookup({ engine: 'udp', queryType: 'A', failure: 'generic_timeout_error', tags: ['classic', 'depth=0'] })
      .lookup({ engine: 'udp', queryType: 'AAAA', failure: 'dns_no_answer', tags: ['classic', 'depth=0'] }).helper(okHelper(HTTP)).build();
    expect(classify(sameHop).verdict).toMatchObject({ blocking: 'dns', accessible: false, status: 'anomaly' });
    const lone = () => measurement(HTTP).lookup({ engine: 'udp', failure: 'generic_timeout_error', tags: ['classic', 'depth=0'] }).helper(okHelper(HTTP)).build();
    const identity = (failure: string | null) => ({ kind: 'udp', configured: ['system'], egress: { method: 'whoami.akamai.net', ip: null, asn: 0, failure }, public_resolver: null }) as ResolverIdentity;
    expect(classify({ ...lone(), resolverIdentity: identity(null) }).verdict).toMatchObject({ blocking: 'dns', status: 'anomaly' });
    expect(classify({ ...lone(), resolverIdentity: identity('generic_timeout_error') }).verdict).toMatchObject({ blocking: null, status: 'inconclusive' });
    const doh = measurement('https://bit.ly/x').lookup({ engine: 'doh', addrs: ['67.199.248.11'], hostname: 'bit.ly', tags: ['classic', 'depth=0'] })
      .endpoint({ ip: '67.199.248.11', tls: {}, http: { code: 301, headers: { Location: HTTPS }, bodyLength: 0, title: '' } })
      .lookup({ engine: 'doh', failure: 'generic_timeout_error', hostname: 'www.example.com', depth: 1, tags: ['classic', 'depth=1'] })
      .helper({ ...okHelper(HTTPS), hops: [hop(0, 'https://bit.ly/x', { status_code: 301, location: HTTPS }), hop(1, HTTPS, {})] }).build();
    const v = classify(doh).verdict;
    expect(v).toMatchObject({ blocking: null, status: 'inconclusive' });
    expect(v.evidence).toContainEqual(expect.objectContaining({ kind: 'dns_resolver_unreachable', hop: 1 }));
  });

  it('a UDP or DoH resolver that cannot be reached is inconclusive, never dns; the system resolver timing out is still dns', () => {
    for (const engine of ['udp', 'doh'] as const) {
      for (const failure of ['generic_timeout_error', 'connection_refused']) {
        const { verdict } = classify(measurement(HTTPS).lookup({ engine, failure, tags: ['classic', 'depth=0'] }).helper(okHelper(HTTPS)).build());
        expect(verdict, `${engine} ${failure}`).toMatchObject({ blocking: null, status: 'inconclusive', layers: [] });
        expect(verdict.evidence?.[0]).toMatchObject({ kind: 'dns_resolver_unreachable', effect: 'inconclusive', detail: { engine, failure } });
      }
    }
    const udpNx = classify(measurement(HTTPS).lookup({ engine: 'udp', failure: 'dns_nxdomain_error', tags: ['classic'] }).helper(okHelper(HTTPS)).build()).verdict;
    expect(udpNx.blocking).toBe('dns');
    const system = classify(measurement(HTTPS).lookup({ failure: 'generic_timeout_error' }).helper(okHelper(HTTPS)).build()).verdict;
    expect(system.blocking).toBe('dns');
  });

  it('for http:// too, the helper\'s verified handshake at the probe\'s address (ip_info flag 8) proves it genuine', () => {
    const input = measurement(HTTP).lookup({ addrs: ['151.101.100.10'] }).endpoint({ ip: '151.101.100.10', http: {} })
      .helper({ dns: { addrs: ['18.64.63.10'] } }).build();
    const resp = input.control.response;
    if (resp === null) throw new Error('no helper');
    resp.ip_info = { '151.101.100.10': { asn: 54113, flags: 9 }, '18.64.63.10': { asn: 16509, flags: 10 } };
    const { verdict } = classify(input);
    expect(verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok' });
    expect(verdict.evidence?.[0]).toMatchObject({ kind: 'dns_helper_tls_verified', effect: 'genuine', cites: expect.arrayContaining([{ list: 'control', key: 'ip_info.151.101.100.10' }]) });
  });

  it('another AS without proof, where the control fails the same way at the probe\'s address, is down', () => {
    const input = measurement(HTTP).lookup({ addrs: ['151.101.1.99'] }).endpoint({ ip: '151.101.1.99', tcpFailure: 'generic_timeout_error' })
      .helper({ dns: { addrs: [EXAMPLE_IP] }, tcp: { '151.101.1.99:80': 'connect_error', [`${EXAMPLE_IP}:80`]: null } }).build();
    const { verdict } = classify(input, { asnLookup: () => 0 });
    expect(verdict).toMatchObject({ blocking: null, accessible: false, status: 'down', layers: [] });
    expect(verdict.evidence?.map((e) => [e.kind, e.effect])).toEqual([['dns_other_network', 'note'], ['tcp_both_failed', 'down']]);
  });
});

describe('TCP/IP and TLS', () => {
  it('the helper\'s top-level checks of the probe\'s addresses count at depth 0 even with per-hop results', () => {
    const input = measurement(HTTPS).lookup({ addrs: ['104.16.132.230'] }).endpoint({ ip: '104.16.132.230', tcpFailure: 'generic_timeout_error' })
      .helper({ dns: { addrs: ['104.16.132.229'] }, tcp: { '104.16.132.230:443': 'connect_error' }, hops: [hop(0, HTTPS, {})] }).build();
    const { verdict } = classify(input, { asnLookup: (ip) => (ip.startsWith('104.16.') ? 13335 : 0) });
    expect(verdict).toMatchObject({ blocking: null, accessible: false, status: 'down' });
    expect(verdict.evidence).toContainEqual(expect.objectContaining({ kind: 'tcp_both_failed', hop: 0, effect: 'down', cites: expect.arrayContaining([{ list: 'control', key: '104.16.132.230:443' }]) }));
  });

  it('blocked over IPv4, reachable over IPv6: tcp_ip among the layers, accessible; a local IPv6 problem is not', () => {
    const v6 = '2606:2800:220:1:248:1893:25c8:1946';
    const build = (v6Failure: string | null, v4Failure: string | null) => measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP, v6] })
      .endpoint({ ip: EXAMPLE_IP, tcpFailure: v4Failure, ...(v4Failure ? {} : { tls: {}, http: {} }) })
      .endpoint({ ip: v6, tcpFailure: v6Failure, ...(v6Failure ? {} : { tls: {}, http: {} }) })
      .helper({ dns: { addrs: [EXAMPLE_IP, v6] }, tcp: { [`${EXAMPLE_IP}:443`]: null, [`[${v6}]:443`]: null } }).build();
    const blocked = classify(build(null, 'generic_timeout_error')).verdict;
    expect(blocked).toMatchObject({ blocking: 'tcp_ip', accessible: true, status: 'anomaly', layers: ['tcp_ip'] });
    expect(blocked.evidence?.[0]).toMatchObject({ kind: 'tcp_family_blocked', detail: { family: 'IPv4', other_family: 'IPv6' }, figures: { failed: 1, reachable: 1 } });
    const local = classify(build('network_unreachable', null)).verdict;
    expect(local).toMatchObject({ blocking: null, accessible: true, status: 'ok' });
    // IPv4 dead for the control too, IPv6 unreachable from here: down (the control reaching IPv6 does not count).
    const deadV4 = build('network_unreachable', 'generic_timeout_error');
    deadV4.control.response = { ...(deadV4.control.response as NonNullable<typeof deadV4.control.response>), tcp_connect: { [`${EXAMPLE_IP}:443`]: { status: false, failure: 'generic_timeout_error' }, [`[${v6}]:443`]: { status: true, failure: null } } };
    const down = classify(deadV4).verdict;
    expect(down).toMatchObject({ blocking: null, accessible: false, status: 'down' });
    expect(down.evidence).toContainEqual(expect.objectContaining({ kind: 'tcp_both_failed', effect: 'down', detail: expect.objectContaining({ ipv6_local: true }) }));
  });

  it('only IPv6 endpoints, all unreachable from here: a local problem, inconclusive', () => {
    const v6 = '2606:2800:220:1:248:1893:25c8:1946';
    const input = measurement(HTTPS).lookup({ addrs: [v6] }).endpoint({ ip: v6, tcpFailure: 'host_unreachable' })
      .helper({ dns: { addrs: [v6] }, tcp: { [`[${v6}]:443`]: null } }).build();
    const { verdict } = classify(input);
    expect(verdict).toMatchObject({ blocking: null, status: 'inconclusive' });
    expect(verdict.evidence).toContainEqual(expect.objectContaining({ kind: 'tcp_ipv6_unreachable_locally', effect: 'inconclusive' }));
  });

  it('when DNS diverged, a certificate for the name from an unknown authority at that address is forged: confirmed', () => {
    const input = measurement(HTTPS).lookup({ addrs: ['104.154.89.105'] })
      .endpoint({ ip: '104.154.89.105', tls: { failure: 'ssl_unknown_authority', issuer: 'CN=Evil CA' } })
      .helper({ dns: { addrs: [EXAMPLE_IP] }, tls: { '104.154.89.105:443': 'ssl_unknown_authority' } }).build();
    const { verdict } = classify(input, { asnLookup: () => 0 });
    expect(verdict).toMatchObject({ blocking: 'dns', accessible: false, status: 'confirmed', layers: ['dns', 'tls'] });
    expect(verdict.evidence).toContainEqual(expect.objectContaining({ layer: 'tls', kind: 'tls_forged_certificate', effect: 'confirmed', detail: expect.objectContaining({ issuer: 'CN=Evil CA' }) }));
  });
});

describe('HTTP', () => {
  it('a cookie interstitial the flow reloaded (x_redirects, same URL) is no redirect to compare: the reloaded page decides', () => {
    const build = (reloadedTitle: string, reloadedLength: number) => {
      const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] })
        .endpoint({ ip: EXAMPLE_IP, http: { title: 'Checking your browser', bodyLength: 121, body: '<meta http-equiv="refresh" content="0; url=/">' } })
        .lookup({ addrs: [EXAMPLE_IP], depth: 1, tags: ['depth=1'] })
        .endpoint({ ip: EXAMPLE_IP, depth: 1, http: { title: reloadedTitle, bodyLength: reloadedLength } })
        .helper({ ...okHelper(HTTP), hops: [hop(0, HTTP, {}), hop(1, HTTP, {})] }).build();
      input.observations.x_redirects = [{ depth: 0, from: HTTP, to: HTTP, kind: 'meta_refresh' }];
      return classify(input).verdict;
    };
    // The control got the page at once; the probe got the interstitial, then the same page: ok, not http_unexpected_redirect.
    const ok = build('Default Web Page', 1533);
    expect(ok).toMatchObject({ blocking: null, accessible: true, status: 'ok' });
    expect(kinds(ok.evidence)).not.toContain('http_unexpected_redirect');
    expect(ok.evidence).toContainEqual(expect.objectContaining({ kind: 'http_matches_control', hop: 1 }));
    // A blockpage on the reload: http-diff at hop 1.
    const blocked = build('Access Denied', 188);
    expect(blocked).toMatchObject({ blocking: 'http-diff', accessible: false, status: 'anomaly' });
    expect(blocked.evidence).toContainEqual(expect.objectContaining({ kind: 'http_diff', hop: 1, effect: 'diverged' }));
  });

  it('a redirect the control did not get at the same hop is http-diff', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, http: { code: 302, headers: { Location: 'http://blocked.example/' }, bodyLength: 0, title: '' } })
      .helper({ ...okHelper(HTTP), hops: [hop(0, HTTP, {})] }).build();
    const { verdict } = classify(input);
    expect(verdict).toMatchObject({ blocking: 'http-diff', accessible: false, status: 'anomaly' });
    expect(verdict.evidence?.[0]).toMatchObject({ kind: 'http_unexpected_redirect', hop: 0, detail: { redirect: 'location', target: 'http://blocked.example/' }, figures: { status: 302, control_status: 200 } });
  });

  it('a chain that ends on an unfollowed, unfailed Location without per-hop control lost its later requests: inconclusive', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, http: { code: 302, headers: { Location: HTTPS }, bodyLength: 0, title: '' } })
      .helper(okHelper(HTTP)).build();
    const { verdict } = classify(input);
    expect(verdict).toMatchObject({ blocking: null, accessible: null, status: 'inconclusive' });
    expect(verdict.evidence?.[0]).toMatchObject({ kind: 'http_chain_incomplete', effect: 'inconclusive', detail: { target: HTTPS } });
  });

  it('a redirect the control got too is followed to the next hop', () => {
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] })
      .endpoint({ ip: EXAMPLE_IP, http: { code: 301, headers: { Location: HTTPS }, bodyLength: 0, title: '' } })
      .lookup({ addrs: [EXAMPLE_IP], depth: 1 }).endpoint({ ip: EXAMPLE_IP, port: 443, depth: 1, tls: {}, http: { url: HTTPS } })
      .helper({ ...okHelper(HTTP), hops: [hop(0, HTTP, { status_code: 301, location: HTTPS }), hop(1, HTTPS, {})] }).build();
    expect(classify(input).verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok' });
  });

  it('meta refresh and the Refresh header are redirects; a page refreshing itself is not', () => {
    const req = (headers: Record<string, string>, body: string): HttpRequestObservation => ({
      network: 'tcp', address: `${EXAMPLE_IP}:80`, failure: null, t0: 0, t: 0, transaction_id: 1, depth: 0, tags: [],
      request: { method: 'GET', url: HTTP, headers: {}, headers_list: [], body: '', body_is_truncated: false, x_transport: 'tcp' },
      response: { code: 200, headers, headers_list: Object.entries(headers), body, body_is_truncated: false, body_length: body.length, title: '' },
    });
    expect(redirectOf(req({}, '<META HTTP-EQUIV=Refresh CONTENT="0;URL=/blocked">'))).toEqual({ kind: 'meta_refresh', target: 'http://www.example.com/blocked' });
    expect(redirectOf(req({ refresh: '5; url=http://x.example/' }, ''))).toEqual({ kind: 'refresh_header', target: 'http://x.example/' });
    expect(redirectOf(req({}, '<meta http-equiv="refresh" content="300">'))).toBeNull();
    expect(redirectOf(req({ Refresh: `0; url=${HTTP}` }, ''))).toBeNull();
  });

  it('body and title both different is http-diff even when OONI\'s header rule says same page', () => {
    const headers = { 'Content-Type': 'text/html', 'X-Mirror': '1' };
    const input = measurement(HTTP).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, http: { headers, bodyLength: 114, title: 'Access restricted' } })
      .helper({ ...okHelper(HTTP), http: { headers: { ...headers, 'Set-Cookie': 'a=1' }, bodyLength: 20498, title: 'Casino Example' } }).build();
    const { verdict, ooni } = classify(input);
    expect(ooni).toMatchObject({ blocking: false, headers_match: true, body_length_match: false, title_match: false });
    expect(verdict).toMatchObject({ blocking: 'http-diff', accessible: false, status: 'anomaly' });
    expect(verdict.evidence?.[0]).toMatchObject({ kind: 'http_diff', detail: expect.objectContaining({ ooni_diff: false, headers_match: true }) });
  });

  it('a 5xx that probe and control both get is down, over HTTPS too', () => {
    for (const url of [HTTP, HTTPS]) {
      const input = measurement(url).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, ...(url === HTTPS ? { tls: {} } : {}), http: { code: 503, title: 'Service Unavailable', bodyLength: 90 } })
        .helper({ ...okHelper(url), http: { code: 502, title: 'Bad Gateway', bodyLength: 80 } }).build();
      const { verdict } = classify(input);
      expect(verdict, url).toMatchObject({ blocking: null, accessible: false, status: 'down' });
      expect(verdict.evidence?.at(-1)).toMatchObject({ kind: 'http_server_error_both', effect: 'down', figures: expect.objectContaining({ status: 503, control_status: 502 }) });
    }
  });
});

describe('throttling layer', () => {
  it('copies every numeric field of the decision into figures, nested ones too', () => {
    const input = measurement(HTTPS).lookup({ addrs: [EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: {}, http: {} }).helper(okHelper(HTTPS)).build();
    const decision = { throttled: true, ratio: 0.05, p_value: 0.004, goodput_bps: { target: 150_000, reference: 9_000_000, control: null }, new_field_ms: 12, outcome: 'severe' };
    const { verdict } = classify(input, { detectThrottling: () => ({ reason: 'throttled to 150 kbit/s', decision }) });
    expect(verdict).toMatchObject({ blocking: 'throttling', status: 'anomaly' });
    expect(verdict.evidence?.find((e) => e.layer === 'throttling')).toMatchObject({
      kind: 'throttling_detected', effect: 'diverged', figures: { ratio: 0.05, p_value: 0.004, 'goodput_bps.target': 150_000, 'goodput_bps.reference': 9_000_000, new_field_ms: 12 },
    });
  });
});

describe('without a helper, the DoH reference is a control', () => {
  it('an answer in another AS without proof is dns; with our verified handshake for the name it is genuine', () => {
    const forged = classify(measurement(HTTP).lookup({ addrs: ['151.101.1.140'] }).endpoint({ ip: '151.101.1.140', http: {} }).noHelper('x', { addrs: [EXAMPLE_IP] }).build(), { asnLookup: () => 0 }).verdict;
    expect(forged).toMatchObject({ blocking: 'dns', accessible: false, status: 'anomaly' });
    expect(forged.evidence).toContainEqual(expect.objectContaining({ kind: 'dns_other_network', cites: expect.arrayContaining([{ list: 'control', key: 'dns_reference' }]) }));
    const cdn = classify(measurement(HTTPS).lookup({ addrs: ['151.101.1.140'] }).endpoint({ ip: '151.101.1.140', tls: {}, http: {} }).noHelper('x', { addrs: [EXAMPLE_IP] }).build(), { asnLookup: () => 0 }).verdict;
    expect(cdn).toMatchObject({ blocking: null, accessible: true, status: 'ok' });
    expect(kinds(cdn.evidence)).toContain('dns_tls_verified');
    const sameAsn = classify(measurement(HTTP).lookup({ addrs: ['93.184.216.35'] }).endpoint({ ip: '93.184.216.35', http: {} }).noHelper('x', { addrs: [EXAMPLE_IP] }).build(), { asnLookup: () => 15133 }).verdict;
    expect(sameAsn.status).toBe('inconclusive');
  });

  it('a bogon among real answers is dns with the DoH reference too', () => {
    const { verdict } = classify(measurement(HTTPS).lookup({ addrs: ['10.0.0.1', EXAMPLE_IP] }).endpoint({ ip: EXAMPLE_IP, tls: {}, http: {} }).noHelper('x', { addrs: [EXAMPLE_IP] }).build());
    expect(verdict).toMatchObject({ blocking: 'dns', status: 'anomaly' });
  });
});

describe('evidence on every verdict', () => {
  it('every non-ok verdict on the OONI fixtures carries evidence; reasons are rendered one per entry', () => {
    const dir = join(import.meta.dirname, '../../../fixtures/ooni/generated');
    for (const f of ['dnsBlockingBOGON', 'httpDiffWithConsistentDNS', 'tcpBlockingConnectTimeout', 'websiteDownNXDOMAIN', 'tlsBlockingConnectionResetWithConsistentDNS', 'controlFailureWithSuccessfulHTTPWebsite', 'successWithHTTP']) {
      const m = importOoniMeasurement(JSON.parse(readFileSync(join(dir, `${f}.json`), 'utf8')));
      const { verdict } = classify({ url: m.url, observations: m.observations, control: m.control });
      expect(verdict.evidence?.length ?? 0, f).toBeGreaterThan(0);
      expect(verdict.reasons).toHaveLength(verdict.evidence?.length ?? -1);
      for (const e of verdict.evidence ?? []) expect(e.kind).toMatch(/^[a-z][a-z0-9_]*$/);
    }
  });
});

describe('the evidence kinds are documented', () => {
  it('docs/verdict-rules.md names every kind this build renders', async () => {
    const { EVIDENCE_KINDS } = await import('../../../src/classify/index.js');
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/verdict-rules.md'), 'utf8');
    const missing = EVIDENCE_KINDS.filter((k) => !doc.includes(`\`${k}\``));
    expect(missing).toEqual([]);
    expect(EVIDENCE_KINDS.length).toBeGreaterThan(40);
  });
});

describe('helper TLS proof without ip_info', () => {
  it('the helper\'s verified top-level handshake with the probe\'s address proves it genuine (http:// too)', () => {
    const input = measurement(HTTP).lookup({ addrs: ['151.101.100.10'] }).endpoint({ ip: '151.101.100.10', http: {} })
      .helper({ dns: { addrs: ['18.64.63.10'] }, tls: { '151.101.100.10:443': null } }).build();
    const { verdict } = classify(input, { asnLookup: () => 0 });
    expect(verdict).toMatchObject({ blocking: null, accessible: true, status: 'ok' });
    expect(verdict.evidence?.[0]).toMatchObject({ kind: 'dns_helper_tls_verified', detail: expect.objectContaining({ verified_at: '151.101.100.10' }) });
  });
});
