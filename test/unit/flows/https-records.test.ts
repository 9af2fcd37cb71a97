/**
 * The DNS HTTPS record in the flow (src/flows/https-records.ts, measureUrl with `httpsRecords`):
 * asked once per hop name beside A/AAAA, recorded in `x_https_records` (never in `queries`), ECH
 * and h3 listed in `x_untested_variants` (h3 only when no Alt-Svc said it at that depth), the hop
 * outcome unchanged; the pure helpers (record name, variants).
 */
import type http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { measureUrl, type FlowOptions } from '../../../src/flows/index.js';
import { httpsRecordName, httpsRecordVariants } from '../../../src/flows/https-records.js';
import { encodeHttpsRdata, type HttpsRecordSpec } from '../../../src/lab/https-record.js';
import { httpsReply, reply, startDnsServer, startHttpServer, type Running } from '../net/support/servers.js';
import { loopbackFlowOptions } from './support/flow.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

const ECH = Buffer.from('not a real ECHConfigList').toString('base64');

/** A UDP DNS server: A from `a`, HTTPS (type 65) from `https` (name → records), else NOERROR empty. */
async function dns(a: Record<string, string[]>, https: Record<string, HttpsRecordSpec[]>): Promise<Running & { queries: dnsPacket.DecodedPacket[] }> {
  const srv = await startDnsServer((q) => {
    const question = q.questions?.[0];
    const name = question?.name ?? '';
    if ((question?.type as string) === 'UNKNOWN_65') {
      return [httpsReply(q, (https[name] ?? []).map((s) => encodeHttpsRdata(s)))];
    }
    return [reply(q, question?.type === 'A' ? (a[name] ?? []).map((data) => ({ type: 'A' as const, data })) : [])];
  });
  running.push(srv);
  return srv;
}

async function web(handler: http.RequestListener): Promise<Running> {
  const srv = await startHttpServer(handler);
  running.push(srv);
  return srv;
}

function flowOptions(dnsPort: number, extra: Partial<FlowOptions> = {}): FlowOptions {
  return loopbackFlowOptions(dnsPort, {
    timeouts: { dnsMs: 2000, connectMs: 2000, tlsMs: 2000, httpMs: 2000 },
    maxBodyBytes: 65_536,
    maxRedirects: 3,
    lateReplyWindowMs: 20,
    httpsRecords: true,
    ...extra,
  });
}

describe('measureUrl with httpsRecords', () => {
  it('records the HTTPS record apart from queries and lists ech and http3 as untested', async () => {
    const w = await web((_req, res) => res.end('ok'));
    const rrName = `_${w.port}._https.www.example.com`; // a non-default port (RFC 9460 section 9.1)
    const d = await dns({ 'www.example.com': ['127.0.0.1'] }, { [rrName]: [{ priority: 1, target: '.', alpn: ['h2', 'h3'], ech: ECH }] });
    const url = `http://www.example.com:${w.port}/`;
    const m = await measureUrl(url, flowOptions(d.port));
    expect(m.hops[0]).toMatchObject({ failure: null, addresses: ['127.0.0.1'] });
    expect(m.observations.queries.map((q) => q.query_type)).toEqual(['A', 'AAAA']);
    expect(m.observations.x_https_records).toHaveLength(1);
    expect(m.observations.x_https_records?.[0]).toMatchObject({ hostname: rrName, depth: 0, engine: 'udp', resolver_address: `127.0.0.1:${d.port}`, failure: null, records: [{ priority: 1, target: '.', alpn: ['h2', 'h3'], ech: true, ech_bytes: 24 }] });
    expect(m.observations.x_untested_variants).toEqual([
      { variant: 'ech', depth: 0, url, source: 'https-rr', advertised: 'HTTPS 1 . alpn=h2,h3 ech=<24 bytes>' },
      { variant: 'http3', depth: 0, url, source: 'https-rr', advertised: 'HTTPS 1 . alpn=h2,h3 ech=<24 bytes>' },
    ]);
  });

  it('a name without an HTTPS record: dns_no_answer in x_https_records, no variant, the same hop', async () => {
    const w = await web((_req, res) => res.end('ok'));
    const d = await dns({ 'www.example.com': ['127.0.0.1'] }, {});
    const url = `http://www.example.com:${w.port}/`;
    const withRr = await measureUrl(url, flowOptions(d.port));
    const without = await measureUrl(url, flowOptions(d.port, { httpsRecords: false }));
    expect(withRr.observations.x_https_records?.[0]).toMatchObject({ failure: 'dns_no_answer', records: [] });
    expect(withRr.observations.x_untested_variants).toBeUndefined();
    expect(without.observations.x_https_records).toBeUndefined();
    const strip = (h: (typeof withRr.hops)[number]) => ({ ...h, request: h.request?.response?.code });
    expect(withRr.hops.map(strip)).toEqual(without.hops.map(strip));
  });

  it('does not list http3 twice when the hop Alt-Svc already did; asks each name once across redirects', async () => {
    let hits = 0;
    const w = await web((req, res) => {
      hits++;
      if (req.url === '/') {
        res.writeHead(302, { location: '/next' });
        res.end();
        return;
      }
      res.writeHead(200, { 'alt-svc': 'h3=":443"' });
      res.end('ok');
    });
    const rrName = `_${w.port}._https.www.example.com`;
    const d = await dns({ 'www.example.com': ['127.0.0.1'] }, { [rrName]: [{ priority: 1, target: '.', alpn: ['h3'] }] });
    const url = `http://www.example.com:${w.port}/`;
    const m = await measureUrl(url, flowOptions(d.port));
    expect(hits).toBe(2);
    expect(d.queries.filter((q) => (q.questions?.[0]?.type as string) === 'UNKNOWN_65')).toHaveLength(1);
    expect(m.observations.x_https_records).toHaveLength(1);
    // depth 0 (the redirect) has no Alt-Svc: the record's h3 is listed there; depth 1 lists the Alt-Svc.
    expect(m.observations.x_untested_variants?.map((v) => [v.variant, v.depth, v.source])).toEqual([
      ['http3', 0, 'https-rr'],
      ['http3', 1, 'alt-svc'],
    ]);
  });

  it('with the system resolver and no nameserver in resolv.conf: an observation without a resolver', async () => {
    const w = await web((_req, res) => res.end('ok'));
    const m = await measureUrl(`http://www.example.com:${w.port}/`, {
      ...flowOptions(1),
      resolver: { kind: 'system' },
      getaddrinfo: () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
      readResolvConf: () => Promise.resolve('# nothing\n'),
    });
    expect(m.hops[0]?.failure).toBeNull();
    expect(m.observations.x_https_records?.[0]).toMatchObject({ engine: 'udp', resolver_address: null, failure: 'unknown_failure: no nameserver in resolv.conf' });
  });

  it('an IP-literal host asks nothing', async () => {
    const w = await web((_req, res) => res.end('ok'));
    const m = await measureUrl(`http://127.0.0.1:${w.port}/`, flowOptions(1));
    expect(m.observations.x_https_records).toBeUndefined();
  });
});

describe('httpsRecordName', () => {
  it('is the host for the default port, _PORT._https.host otherwise, null for an IP literal', () => {
    expect(httpsRecordName(new URL('https://www.example.com/'))).toBe('www.example.com');
    expect(httpsRecordName(new URL('http://www.example.com:80/'))).toBe('www.example.com');
    expect(httpsRecordName(new URL('https://www.example.com:8443/'))).toBe('_8443._https.www.example.com');
    expect(httpsRecordName(new URL('https://[::1]/'))).toBeNull();
    expect(httpsRecordName(new URL('http://10.0.0.1/'))).toBeNull();
  });
});

describe('httpsRecordVariants', () => {
  const url = 'https://www.example.com/';
  it('ignores AliasMode records and records without ech or h3', () => {
    expect(httpsRecordVariants([{ priority: 0, target: 'cdn.example.', alpn: [], ech: false }, { priority: 1, target: '.', alpn: ['h2'], ech: false }], 0, url, false)).toEqual([]);
  });

  it('lists a draft h3-NN, and the port; skips http3 when Alt-Svc already listed it', () => {
    const records = [{ priority: 2, target: 'svc.example.', alpn: ['h3-29'], ech: true, ech_bytes: 70, port: 8443 }];
    expect(httpsRecordVariants(records, 1, url, false)).toEqual([
      { variant: 'ech', depth: 1, url, source: 'https-rr', advertised: 'HTTPS 2 svc.example. alpn=h3-29 port=8443 ech=<70 bytes>' },
      { variant: 'http3', depth: 1, url, source: 'https-rr', advertised: 'HTTPS 2 svc.example. alpn=h3-29 port=8443 ech=<70 bytes>' },
    ]);
    expect(httpsRecordVariants(records, 1, url, true).map((v) => v.variant)).toEqual(['ech']);
  });

  it('keeps the advertised text within 200 characters', () => {
    const long = [{ priority: 1, target: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.`, alpn: ['h2'], ech: true, ech_bytes: 5 }];
    expect(httpsRecordVariants(long, 0, url, false)[0]?.advertised.length).toBe(200);
  });
});
