/** Resolver identity (src/runner/resolver-identity.ts): resolv.conf, whoami egress, public resolvers. */
import { afterEach, describe, expect, it } from 'vitest';
import { identifyResolver, parseResolvConf, publicResolverName } from '../../../src/runner/resolver-identity.js';
import { reply, startDnsServer, type Running } from '../net/support/servers.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function whoamiServer(egress: string | null): Promise<Running> {
  const srv = await startDnsServer((q) => {
    const question = q.questions?.[0];
    if (question?.name !== 'whoami.akamai.net' || egress === null) return [reply(q, [], 3)];
    return [reply(q, question.type === 'A' ? [{ type: 'A' as const, data: egress }] : [])];
  });
  running.push(srv);
  return srv;
}

describe('resolver identity', () => {
  it('parses resolv.conf nameservers', () => {
    expect(parseResolvConf('# x\nnameserver 127.0.0.53\nsearch lan\nnameserver fe80::1%eth0\nnameserver bogus\nnameserver 127.0.0.53\n')).toEqual(['127.0.0.53', 'fe80::1']);
  });
  it('names public resolvers by address', () => {
    expect(publicResolverName('8.8.8.8')).toBe('Google Public DNS');
    expect(publicResolverName('2606:4700:4700::1111')).toBe('Cloudflare');
    expect(publicResolverName('130.192.3.21')).toBeNull();
  });
  it('an ISP resolver: egress ASN recorded, its address withheld, not public', async () => {
    const d = await whoamiServer('130.192.3.21');
    const id = await identifyResolver({ kind: 'udp', ip: '127.0.0.1', port: d.port }, { asnLookup: (ip) => (ip === '130.192.3.21' ? 137 : 0) });
    expect(id).toEqual({ kind: 'udp', configured: ['127.0.0.1'], egress: { method: 'whoami.akamai.net', ip: null, asn: 137, failure: null }, public_resolver: null });
  });
  it('a public resolver seen by its egress AS: address kept, operator named', async () => {
    const d = await whoamiServer('172.253.1.5');
    const id = await identifyResolver({ kind: 'udp', ip: '127.0.0.1', port: d.port }, { asnLookup: () => 15169 });
    expect(id.egress).toEqual({ method: 'whoami.akamai.net', ip: '172.253.1.5', asn: 15169, failure: null });
    expect(id.public_resolver).toBe('Google Public DNS');
  });
  it('the system resolver reads resolv.conf; a failed whoami is a failure, not an exception', async () => {
    const d = await whoamiServer(null);
    const id = await identifyResolver({ kind: 'udp', ip: '127.0.0.1', port: d.port }, { asnLookup: () => 0 });
    expect(id.egress.failure).toBe('dns_nxdomain_error');
    expect(id.egress.ip).toBeNull();
    const sys = await identifyResolver({ kind: 'system' }, {
      asnLookup: (ip) => (ip === '162.158.1.1' ? 13335 : 0),
      readResolvConf: async () => 'nameserver 1.1.1.1\n',
      getaddrinfo: async () => [{ address: '162.158.1.1', family: 4 }],
    });
    expect(sys.egress).toEqual({ method: 'whoami.akamai.net', ip: '162.158.1.1', asn: 13335, failure: null });
    expect(sys.configured).toEqual(['1.1.1.1']);
    expect(sys.public_resolver).toBe('Cloudflare');
  });
});
