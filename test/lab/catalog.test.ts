/**
 * Coverage of the catalog and of our own scenarios, checked on the files (no namespaces needed):
 * every catalog scenario but throttlingWithHTTPS (issue 6) has a file with the catalog's input and
 * exactly its `expected` keys; every scenario's verdict is self-consistent (the files are the one
 * source of truth for expected verdicts); at least ten
 * scenarios are our own; and the pure helpers added for them (DNS race, IPv6 aliases, the dynamic
 * news page, the probe command, the side-by-side report) behave. The catalog's expectations are a
 * copy in test/lab/catalog-expected.json (tests never read ../shared at run time).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario, parseScenario, probeCommand } from '../../src/lab/index.js';
import { LAB_FINGERPRINTS } from '../../src/lab/scenario.js';
import { answerQuery, isForged, RACE_DELAY_MS } from '../../src/lab/dns-server.js';
import { worldIpv6Addresses } from '../../src/lab/lab.js';
import { renderRuleset } from '../../src/lab/nft-ruleset.js';
import { ipv6Aliases, newsHandler } from '../../src/lab/web-servers.js';
import { createDefaultDnsTable, HOSTS } from '../../src/lab/world-hosts.js';
import type { LabRequest } from '../../src/lab/http-responder.js';
import { compareWithScenario, renderSideBySide } from './scenario-check.js';
import type { ReportRecord } from '../../src/model/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const catalog = JSON.parse(readFileSync(join(here, 'catalog-expected.json'), 'utf8')) as Record<string, { input: string; expected: Record<string, unknown> }>;
const TASK_G = new Set(['throttlingWithHTTPS']);

describe('catalog coverage', () => {
  const names = Object.keys(catalog).filter((n) => !TASK_G.has(n));

  it('the catalog copy lists 32 scenarios', () => {
    expect(Object.keys(catalog)).toHaveLength(32);
  });

  it.each(names)('%s has a file with the catalog input and exactly the catalog expected keys', (name) => {
    const s = loadScenario(name);
    const c = catalog[name]!;
    expect(s.input).toBe(c.input);
    expect(s.source).toMatch(new RegExp(`^scenarios/catalog\\.json#${name} `));
    expect(s.expected.ooni).toEqual(c.expected);
  });

  // The scenario files are the one source of truth for expected verdicts (each description says
  // why); here only their internal consistency is checked.
  it.each(listScenarios())('%s expects a self-consistent verdict', (name) => {
    const { blocking, accessible, status } = loadScenario(name).expected.verdict;
    if (status === 'ok') expect([blocking, accessible]).toEqual([null, true]);
    if (status === 'down' || status === 'inconclusive') expect(blocking).toBeNull();
    if (status === 'anomaly' || status === 'confirmed') expect(blocking).not.toBeNull();
    expect(loadScenario(name).description.length).toBeGreaterThan(40);
  });

  it('has at least ten scenarios of our own, each saying where it comes from', () => {
    const own = listScenarios().filter((n) => catalog[n] === undefined);
    expect(own.length).toBeGreaterThanOrEqual(10);
    for (const n of own) expect(loadScenario(n).description.length, n).toBeGreaterThan(80);
  });

  it('our pairs OONI cannot tell apart expect the same OONI keys but name their layers', () => {
    const v = (n: string) => loadScenario(n).expected;
    expect(v('ownTlsResetOnSNI').ooni).toEqual(v('ownTlsResetOnAddressAnySNI').ooni);
    expect(v('ownTlsResetOnSNI').verdict.blocking).toBe('tls');
    expect(v('ownRedirectHopRefusedHTTPS').ooni.blocking).toBe('http-failure');
    expect(v('ownRedirectHopRefusedHTTPS').verdict.blocking).toBe('tcp_ip');
    expect(v('ownRedirectHopTlsResetHTTPS').verdict.blocking).toBe('tls');
    // A DNS rewrite to a transparent proxy that passes TLS through cannot be told from a CDN edge:
    // the helper's verified handshake at that address proves it genuine, for http:// targets too
    // (docs/verdict-rules.md, "DNS").
    expect(v('dnsHijackingToProxyWithHTTPURL').verdict).toEqual({ blocking: null, accessible: true, status: 'ok' });
    expect(v('ownDnsToTransparentProxyHTTPS').verdict).toEqual({ blocking: null, accessible: true, status: 'ok' });
    expect(v('ownIpv6BrokenOnProbeIPv4Works').verdict).toEqual({ blocking: null, accessible: true, status: 'ok' });
    expect(v('ownBlockpageInjectedByHost').verdict.status).toBe('confirmed');
  });

  it('accepts helper none and dns_late_replies, and rejects an unknown helper mode', () => {
    const base = loadScenario('ownControlHelperDown');
    expect(base.helper).toBe('none');
    expect(loadScenario('ownDnsForgeryRacingOnUDP').expected.dns_late_replies).toBe(true);
    expect(() => parseScenario({ ...base, helper: 'maybe' }, 'x.json')).toThrow(/x\.json: \/helper/);
  });
});

describe('DNS forgery races the genuine answer', () => {
  const q = (name: string) => dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] });
  const opts = { address: '130.192.3.21', table: createDefaultDnsTable(), probeAddress: '10.0.0.2', censor: [{ kind: 'dns' as const, name: 'www.example.com', action: 'answer' as const, a: ['10.10.34.35'] }] };

  it('forges for the probe only and for the ruled name only', () => {
    expect(isForged(q('www.example.com'), '10.0.0.2', opts)).toBe(true);
    expect(isForged(q('WWW.EXAMPLE.COM.'), '10.0.0.2', opts)).toBe(true);
    expect(isForged(q('www.example.com'), '10.0.0.9', opts)).toBe(false);
    expect(isForged(q('bit.ly'), '10.0.0.2', opts)).toBe(false);
    expect(isForged(Buffer.from([1]), '10.0.0.2', opts)).toBe(false);
  });

  it('the first reply is forged and the genuine one follows a couple of milliseconds later', () => {
    const forged = dnsPacket.decode(answerQuery(q('www.example.com'), '10.0.0.2', opts)!);
    const genuine = dnsPacket.decode(answerQuery(q('www.example.com'), '10.0.0.2', { ...opts, censor: [] })!);
    expect(forged.answers?.map((a) => (a as { data: unknown }).data)).toEqual(['10.10.34.35']);
    expect(genuine.answers?.map((a) => (a as { data: unknown }).data)).toEqual(['93.184.216.34']);
    expect(RACE_DELAY_MS).toBeGreaterThanOrEqual(1);
    expect(RACE_DELAY_MS).toBeLessThanOrEqual(10);
  });
});

describe('DNS to any resolver', () => {
  it("DNATs the probe's UDP/53 queries to unknown resolvers onto the clean resolver, exempting the lab's own", () => {
    const text = renderRuleset('cpvXw', [], [], { resolver: '193.0.14.129', exempt: ['130.192.3.21', '193.0.14.129', '8.8.8.8'] });
    expect(text).toContain('iifname "cpvXw" ip daddr != { 130.192.3.21, 193.0.14.129, 8.8.8.8 } udp dport 53 dnat ip to 193.0.14.129:53');
    expect(renderRuleset('cpvXw', [], [])).not.toContain('udp dport 53');
  });
});

describe('IPv6 and the dynamic news site', () => {
  it('puts every AAAA address on the world once, and a dual-stack server on its IPv6 aliases', () => {
    const t = { ...createDefaultDnsTable(), 'www.example.com': { a: ['93.184.216.34'], aaaa: ['2606:2800:220:1:248:1893:25c8:1946'] } };
    expect(worldIpv6Addresses(t, t)).toEqual(['2606:2800:220:1:248:1893:25c8:1946']);
    // Bogon answers that name no host (loopback, unspecified, link-local, multicast) get no address.
    const bogons = { 'www.example.com': { aaaa: ['::1', '::', 'fe80::1', 'ff02::1', '2606:2800:220:1:248:1893:25c8:1946'] } };
    expect(worldIpv6Addresses(bogons)).toEqual(['2606:2800:220:1:248:1893:25c8:1946']);
    expect(ipv6Aliases(t).get('93.184.216.34')).toEqual(['2606:2800:220:1:248:1893:25c8:1946']);
    expect(ipv6Aliases(t).get(HOSTS.bitly)).toEqual([]);
  });

  it('serves a page whose title and length change on every request, with the same headers', () => {
    const h = newsHandler();
    const req = { method: 'GET', target: '/', host: 'www.news-example.com', headers: [], remoteAddress: '10.0.0.2' } as unknown as LabRequest;
    const a = h(req) as { status: number; headers: [string, string][]; body: Buffer };
    const b = h(req) as { status: number; headers: [string, string][]; body: Buffer };
    expect(a.status).toBe(200);
    expect(a.headers.map(([k]) => k)).toEqual(b.headers.map(([k]) => k));
    expect(a.body.toString()).toContain('<title>Live news, update 1</title>');
    expect(b.body.toString()).toContain('<title>Live news, update 2</title>');
    expect(a.body.length / b.body.length).toBeLessThan(0.7);
  });
});

describe('the probe command and the side-by-side report', () => {
  it('runs censorprobe run with the lab helper, the lab CA, no DoH, then the scenario and extra args', () => {
    const s = loadScenario('ownDnsForgeryRacingOnUDP');
    const cmd = probeCommand({ helperAddress: '68.183.70.80', caFile: '/tmp/ca.pem' }, s, '/x/bin/censorprobe.js', ['--max-body', '1000']);
    expect(cmd.slice(1)).toEqual([
      '/x/bin/censorprobe.js', 'run', 'https://www.example.com/', '--yes', '--json', '--control', 'http://68.183.70.80/',
      '--ca-file', '/tmp/ca.pem', '--no-doh-default', '--fingerprints', LAB_FINGERPRINTS, '--resolver', 'udp://8.8.8.8', '--connect-timeout', '2000', '--max-body', '1000',
    ]);
  });

  it('compares the listed OONI keys, the verdict, late replies and observed failures', () => {
    const s = loadScenario('ownIpv6BrokenOnProbeIPv4Works');
    const record = {
      ooni: { ...s.expected.ooni },
      verdict: { blocking: null, accessible: true, status: 'ok', layers: [], reasons: ['x'] },
      observations: { queries: [], tcp_connect: [{ status: { failure: 'network_unreachable' } }], tls_handshakes: [], requests: [] },
    } as unknown as ReportRecord;
    const rows = compareWithScenario(s, record);
    expect(rows.every((r) => JSON.stringify(r.observed) === JSON.stringify(r.expected))).toBe(true);
    expect(rows.map((r) => r.key)).toContain('observations failure network_unreachable');
    (record.observations.tcp_connect as unknown as { status: { failure: string | null } }[])[0]!.status.failure = null;
    expect(compareWithScenario(s, record).find((r) => r.key === 'observations failure network_unreachable')?.observed).toBe(false);
  });

  it('prints observed and expected side by side and marks the differing rows', () => {
    const out = renderSideBySide([
      { key: 'ooni.blocking', observed: 'http-failure', expected: 'http-failure' },
      { key: 'verdict.blocking', observed: 'http-failure', expected: 'tls' },
    ]);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^key\s+observed\s+expected$/);
    expect(lines[1]).not.toContain('differs');
    expect(lines[2]).toMatch(/verdict\.blocking\s+"http-failure"\s+"tls"\s+<-- differs/);
  });
});
