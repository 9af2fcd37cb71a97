/**
 * Scenario files and the pure parts of the lab (no namespaces needed): loading and validating
 * scenarios, the nft ruleset, the middlebox plan, DNS answers, ClientHello and request parsing, and
 * the web servers' responses.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario, parseScenario, ScenarioError } from '../../src/lab/index.js';
import { parseClientHello } from '../../src/lab/client-hello.js';
import { answerQuery } from '../../src/lab/dns-server.js';
import { decodeHttpsReply, encodeHttpsQuery } from '../../src/net/svcb.js';
import { parseRequestHead } from '../../src/lab/http-head.js';
import { applyDnsChanges, PAGES_DIR, planMiddlebox } from '../../src/lab/lab.js';
import { renderRuleset } from '../../src/lab/nft-ruleset.js';
import { bitlyHandler, exampleHandler, loadPages } from '../../src/lab/web-servers.js';
import { createDefaultDnsTable } from '../../src/lab/world-hosts.js';

const CATALOG_EIGHT = [
  'dnsBlockingBOGON',
  'dnsBlockingNXDOMAIN',
  'httpBlockingConnectionReset',
  'httpDiffWithConsistentDNS',
  'successWithHTTP',
  'successWithHTTPS',
  'tcpBlockingConnectTimeout',
  'websiteDownNXDOMAIN',
];

const minimal = () => ({
  name: 'x',
  description: 'd',
  input: 'http://www.example.com/',
  censor: [] as unknown[],
  expected: {
    ooni: {
      blocking: false,
      accessible: true,
      dns_consistency: 'consistent',
      dns_experiment_failure: null,
      http_experiment_failure: null,
      control_failure: null,
      body_length_match: true,
      status_code_match: true,
      headers_match: true,
      title_match: true,
    },
    verdict: { blocking: null, accessible: true, status: 'ok' },
  },
});

function tmpFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cp-scenario-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('scenario files', () => {
  it('lists the eight catalog scenarios in fixtures/scenarios', () => {
    expect(listScenarios()).toEqual(expect.arrayContaining(CATALOG_EIGHT));
  });

  it.each(CATALOG_EIGHT)('%s loads by name and carries the catalog expectation', (name) => {
    const s = loadScenario(name);
    expect(s.name).toBe(name);
    expect(Object.keys(s.expected.ooni)).toHaveLength(10);
    expect(s.expected.verdict.status).toMatch(/^(ok|anomaly|confirmed|down)$/);
  });

  it('maps the verdicts of field-notes section 2', () => {
    const v = (n: string) => loadScenario(n).expected.verdict;
    expect(v('successWithHTTPS')).toEqual({ blocking: null, accessible: true, status: 'ok' });
    expect(v('dnsBlockingBOGON')).toEqual({ blocking: 'dns', accessible: false, status: 'anomaly' });
    expect(v('tcpBlockingConnectTimeout')).toEqual({ blocking: 'tcp_ip', accessible: false, status: 'anomaly' });
    expect(v('httpBlockingConnectionReset')).toEqual({ blocking: 'http-failure', accessible: false, status: 'anomaly' });
    expect(v('httpDiffWithConsistentDNS')).toEqual({ blocking: 'http-diff', accessible: false, status: 'confirmed' });
    expect(v('websiteDownNXDOMAIN')).toEqual({ blocking: null, accessible: false, status: 'down' });
  });

  it('loads a scenario by path', () => {
    const file = tmpFile('ok.json', JSON.stringify(minimal()));
    expect(loadScenario(file).name).toBe('x');
  });

  it('rejects an unknown name with one line naming the file', () => {
    expect(() => loadScenario('noSuchScenario')).toThrow(/noSuchScenario\.json: cannot read scenario \(ENOENT\)$/);
  });

  it('rejects invalid JSON with one line naming the file', () => {
    const file = tmpFile('bad.json', '{ "name": ');
    try {
      loadScenario(file);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ScenarioError);
      expect((err as Error).message).toContain(`${file}: invalid JSON`);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('rejects a censor rule with an unknown action, naming the rule', () => {
    const s = minimal();
    s.censor = [{ kind: 'dpi', match: { sni: 'a' }, dst: { ip: '1.2.3.4', port: 443 }, action: 'explode' }];
    expect(() => parseScenario(s, 'f.json')).toThrow(/^f\.json: \/censor\/0\/action /);
  });

  it('names the bad field inside a DNS record (not the record\'s "must be null" alternative)', () => {
    const s = minimal() as Record<string, unknown>;
    s.world = { dns: { global: { 'www.example.com': { a: ['93.184.216.34'], https: [{ priority: 1, target: '.', alpn: ['h2', 'h\u001b3'] }] } } } };
    expect(() => parseScenario(s, 'f.json')).toThrow(/^f\.json: \/world\/dns\/global\/www\.example\.com\/https\/0\/alpn\/1 /);
  });

  it('rejects a missing expected key', () => {
    const s = minimal() as Record<string, unknown>;
    delete (s.expected as { verdict?: unknown }).verdict;
    expect(() => parseScenario(s, 'f.json')).toThrow("f.json: /expected must have required property 'verdict'");
  });

  it('rejects a bad IPv4 address', () => {
    const s = minimal();
    s.censor = [{ kind: 'nft', action: 'drop', ip: '300.1.1.1' }];
    expect(() => parseScenario(s, 'f.json')).toThrow('f.json: /censor/0/ip is not a valid IPv4 address: "300.1.1.1"');
  });

  it('rejects an unknown top-level field', () => {
    const s = { ...minimal(), surprise: 1 };
    expect(() => parseScenario(s, 'f.json')).toThrow("f.json: (root) must NOT have additional properties 'surprise'");
  });

  it('accepts the parameterised DPI actions and rejects one missing its parameter', () => {
    const s = minimal();
    const dst = { ip: '93.184.216.34', port: 80 };
    s.censor = [
      { kind: 'dpi', match: { host: 'a' }, dst, action: { type: 'delay', ms: 300 } },
      { kind: 'dpi', match: { host: 'b' }, dst, action: { type: 'rate_limit', bytes_per_second: 20_000 } },
      { kind: 'dpi', match: { host: 'c' }, dst, action: { type: 'freeze_after', bytes: 65_536 } },
      { kind: 'dpi', match: { host: 'd' }, dst, action: { type: 'reset' } },
    ];
    expect(parseScenario(s, 'f.json').censor).toHaveLength(4);
    s.censor = [{ kind: 'dpi', match: { host: 'a' }, dst, action: { type: 'delay' } }];
    expect(() => parseScenario(s, 'f.json')).toThrow(/^f\.json: \/censor\/0\/action /);
  });

  it('accepts HTTPS records in a DNS table and rejects a malformed one', () => {
    const scenario = (https: unknown) => ({ ...minimal(), world: { dns: { global: { 'www.example.com': { a: ['93.184.216.34'], https } } } } });
    expect(() => parseScenario(scenario([{ priority: 1, target: '.', alpn: ['h2', 'h3'], ech: 'AEX+DQ==' }]), 'x.json')).not.toThrow();
    expect(() => parseScenario(scenario([{ priority: 1, target: '.', alpn: [''] }]), 'x.json')).toThrow(ScenarioError);
    expect(() => parseScenario(scenario([{ priority: 1, target: 'a..b' }]), 'x.json')).toThrow(ScenarioError);
    expect(() => parseScenario(scenario([{ priority: 1, target: '.', ech: 'not base64!' }]), 'x.json')).toThrow(ScenarioError);
  });

  it('requires forged addresses for a dns answer rule', () => {
    const s = minimal();
    s.censor = [{ kind: 'dns', name: 'www.example.com', action: 'answer' }];
    expect(() => parseScenario(s, 'f.json')).toThrow(/^f\.json: \/censor\/0 must have required property 'a'/);
  });
});

describe('nft ruleset', () => {
  it('matches only the probe veth and renders each action', () => {
    const text = renderRuleset(
      'cpvXw',
      [
        { kind: 'nft', action: 'drop', ip: '93.184.216.34', port: 443 },
        { kind: 'nft', action: 'reject_tcp_reset', ip: '52.35.36.75' },
        { kind: 'nft', action: 'reject_host_unreachable', ip: '5.255.255.80', port: 80 },
        { kind: 'nft', action: 'reject_admin_prohibited', ip: '5.255.255.80', port: 53, protocol: 'udp' },
      ],
      [{ dst: { ip: '93.184.216.34', port: 80 }, to: { ip: '10.200.1.1', port: 20000 } }],
    );
    expect(text).toContain('table inet censorprobe_lab {');
    expect(text).toContain('iifname "cpvXw" ip daddr 93.184.216.34 tcp dport 443 drop');
    expect(text).toContain('iifname "cpvXw" ip daddr 52.35.36.75 meta l4proto tcp reject with tcp reset');
    expect(text).toContain('iifname "cpvXw" ip daddr 5.255.255.80 tcp dport 80 reject with icmp type host-unreachable');
    expect(text).toContain('iifname "cpvXw" ip daddr 5.255.255.80 udp dport 53 reject with icmp type admin-prohibited');
    expect(text).toContain('iifname "cpvXw" ip daddr 93.184.216.34 tcp dport 80 dnat ip to 10.200.1.1:20000');
  });
});

describe('middlebox plan and DNS tables', () => {
  it('gives one middlebox port per DPI destination, rules kept in order', () => {
    const s = parseScenario({
      ...minimal(),
      censor: [
        { kind: 'dpi', match: { host: 'a' }, dst: { ip: '93.184.216.34', port: 80 }, action: 'reset' },
        { kind: 'dpi', match: { sni: 'b' }, dst: { ip: '93.184.216.34', port: 443 }, action: 'close' },
        { kind: 'dpi', match: { contains: 'c' }, dst: { ip: '93.184.216.34', port: 80 }, action: { type: 'blackhole' } },
      ],
    });
    const { ports, redirects } = planMiddlebox(s, '10.200.0.1');
    expect(ports.map((p) => [p.port, p.dst.port, p.rules.length])).toEqual([
      [20000, 80, 2],
      [20001, 443, 1],
    ]);
    expect(redirects[1]).toEqual({ dst: { ip: '93.184.216.34', port: 443 }, to: { ip: '10.200.0.1', port: 20001 } });
  });

  it('applies table changes: a record replaces, null deletes', () => {
    const t = applyDnsChanges(createDefaultDnsTable(), { 'WWW.Example.com': { a: ['10.10.34.35'] }, 'bit.ly': null });
    expect(t['www.example.com']).toEqual({ a: ['10.10.34.35'] });
    expect(t['bit.ly']).toBeUndefined();
    expect(createDefaultDnsTable()['bit.ly']).toEqual({ a: ['67.199.248.11'] });
  });
});

describe('DNS answers (world.md section 2)', () => {
  const table = {
    ...createDefaultDnsTable(),
    'www.cname.test': { cname: 'web01.example.com' },
    'www.alias.test': { cname: 'edge.alias.test' },
    'edge.alias.test': { cname: 'www.example.com' },
    'loop.alias.test': { cname: 'loop.alias.test' },
    'www.ech.test': { cname: 'edge.ech.test' },
    'edge.ech.test': { a: ['93.184.216.34'], https: [{ priority: 1, target: '.', alpn: ['h2', 'h3'], ech: 'AEX+DQBBAQ==' }] },
  };
  const opts = { address: '130.192.3.21', table, probeAddress: '10.0.0.2', censor: [{ kind: 'dns' as const, name: 'bit.ly', action: 'nxdomain' as const }] };
  type Decoded = ReturnType<typeof dnsPacket.decode> & { rcode?: string };
  const decode = (b: Buffer | null): Decoded => dnsPacket.decode(b as Buffer) as Decoded;
  const ask = (name: string, type: 'A' | 'AAAA', from = '10.0.0.9') =>
    decode(answerQuery(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] }), from, opts));

  it('answers A records with TTL 3600', () => {
    const r = ask('www.example.com', 'A');
    expect(r.id).toBe(7);
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([expect.objectContaining({ type: 'A', data: '93.184.216.34', ttl: 3600 })]);
  });

  it('answers AAAA with an empty NOERROR', () => {
    const r = ask('www.example.com', 'AAAA');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([]);
  });

  it('answers NXDOMAIN for a missing name', () => {
    expect(ask('www.example.xyz', 'A').rcode).toBe('NXDOMAIN');
  });

  it('answers a CNAME to a missing name with the CNAME alone', () => {
    const r = ask('www.cname.test', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([expect.objectContaining({ type: 'CNAME', data: 'web01.example.com' })]);
  });

  it('answers a CNAME as a real chain: each CNAME under its alias, then the target records', () => {
    const r = ask('www.alias.test', 'A');
    expect(r.answers?.map((a) => [a.name, a.type, (a as { data?: unknown }).data])).toEqual([
      ['www.alias.test', 'CNAME', 'edge.alias.test'],
      ['edge.alias.test', 'CNAME', 'www.example.com'],
      ['www.example.com', 'A', '93.184.216.34'],
    ]);
  });

  it('answers HTTPS (type 65) from the https records, through the CNAME chain, in the probe parser\'s format', () => {
    const raw = answerQuery(encodeHttpsQuery('www.ech.test', 11), '10.0.0.9', opts);
    const r = decodeHttpsReply(raw as Buffer, 'www.ech.test');
    expect(r).toMatchObject({ id: 11, rcode: 0, failure: null, malformed: 0 });
    expect(r?.records).toEqual([{ priority: 1, target: '.', alpn: ['h2', 'h3'], port: null, echBytes: 7 }]);
    expect(decodeHttpsReply(answerQuery(encodeHttpsQuery('www.example.com', 12), '10.0.0.9', opts) as Buffer, 'www.example.com')).toMatchObject({ rcode: 0, records: [], failure: 'dns_no_answer' });
    expect(ask('edge.ech.test', 'A').answers).toHaveLength(1);
  });

  it('stops a CNAME loop', () => {
    expect(ask('loop.alias.test', 'A').answers?.map((a) => a.type)).toEqual(['CNAME']);
  });

  it('refuses a query with two questions', () => {
    const raw = dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'a.test' }, { type: 'A', name: 'b.test' }] });
    expect(decode(answerQuery(raw, '10.0.0.9', opts)).rcode).toBe('REFUSED');
  });

  it('refuses garbage that still carries an id', () => {
    const r = answerQuery(Buffer.from([0x12, 0x34, 0xff]), '10.0.0.9', opts);
    expect(decode(r)).toMatchObject({ id: 0x1234, rcode: 'REFUSED' });
  });

  it('forges only for the probe address', () => {
    expect(ask('bit.ly', 'A', '10.0.0.2').rcode).toBe('NXDOMAIN');
    expect(ask('bit.ly', 'A', '10.0.0.9').rcode).toBe('NOERROR');
  });
});

async function captureClientHello(servername: string): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) => {
    server.once('connection', (s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          resolve(buf);
          s.destroy();
        }
      });
    });
  });
  const c = tls.connect({ host: '127.0.0.1', port, servername });
  c.on('error', () => undefined);
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}

describe('ClientHello parsing', () => {
  it('reads the SNI of a real Node ClientHello', async () => {
    const hello = await captureClientHello('www.example.org');
    expect(parseClientHello(hello)).toEqual({ state: 'done', sni: 'www.example.org' });
  });

  it('waits for the rest of a ClientHello split across segments', async () => {
    const hello = await captureClientHello('www.example.org');
    expect(parseClientHello(hello.subarray(0, 3))).toEqual({ state: 'incomplete' });
    expect(parseClientHello(hello.subarray(0, 60))).toEqual({ state: 'incomplete' });
  });

  it('reassembles a ClientHello split across two TLS records', async () => {
    const hello = await captureClientHello('split.example');
    const body = hello.subarray(5);
    const rec = (b: Buffer) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, b.length >> 8, b.length & 0xff]), b]);
    const twoRecords = Buffer.concat([rec(body.subarray(0, 40)), rec(body.subarray(40))]);
    expect(parseClientHello(twoRecords.subarray(0, 50))).toEqual({ state: 'incomplete' });
    expect(parseClientHello(twoRecords)).toEqual({ state: 'done', sni: 'split.example' });
  });

  it('says not_tls for an HTTP request', () => {
    expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ state: 'not_tls' });
  });
});

describe('web servers (world.md sections 3-4)', () => {
  const pages = loadPages(PAGES_DIR);
  const req = (host: string, target = '/') => {
    const head = parseRequestHead(Buffer.from(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
    if (head === null || head === 'invalid') throw new Error('bad head');
    return { ...head, remoteAddress: '10.0.0.2' };
  };

  it('serves the byte-exact pages from fixtures/pages', () => {
    expect(pages.example.length).toBe(1533);
    expect(pages.blockpage.length).toBe(188);
    expect(pages.captcha.length).toBe(8432);
    expect(readFileSync(join(PAGES_DIR, 'blockpage.html'), 'utf8')).toContain('<title>Access Denied</title>');
  });

  it('answers www.example.com with 200 and exactly the four headers', () => {
    const r = exampleHandler(pages)(req('www.example.com:80'));
    expect(r.status).toBe(200);
    expect(r.headers).toEqual([
      ['Alt-Svc', 'h3=":443"'],
      ['Content-Length', '1533'],
      ['Content-Type', 'text/html; charset=utf-8'],
      ['Date', 'Thu, 24 Aug 2023 14:35:29 GMT'],
    ]);
  });

  it('redirects example.org with 308 and answers other hosts with 400', () => {
    const h = exampleHandler(pages);
    expect(h(req('example.org'))).toMatchObject({ status: 308, headers: expect.arrayContaining([['Location', 'https://www.example.org/']]) });
    expect(h(req('www.example.xyz')).status).toBe(400);
  });

  it('shortens bit.ly/21645 to https://www.example.com/ and 404s the rest', () => {
    const h = bitlyHandler();
    expect(h(req('bit.ly', '/21645'))).toMatchObject({ status: 308, headers: expect.arrayContaining([['Location', 'https://www.example.com/']]) });
    expect(h(req('bit.ly', '/nope')).status).toBe(404);
  });
});
