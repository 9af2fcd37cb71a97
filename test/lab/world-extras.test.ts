/**
 * The lab behaviours added for issue 3, seen through the real kernel stack: DNS forgery RACES the
 * genuine reply (two replies to one query, forged first), IPv6 exists in the world but the probe has
 * no IPv6 route (network unreachable), the dynamic news site, and a helper that is not started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario, startLab, type Lab } from '../../src/lab/index.js';

const V6 = '2606:2800:220:1:248:1893:25c8:1946';
const scenario = parseScenario({
  name: 'labExtras',
  description: 'DNS race, IPv6 and the news site, for the lab self-test.',
  input: 'https://www.example.com/',
  world: { dns: { global: { 'www.example.com': { a: ['93.184.216.34'], aaaa: [V6] } } } },
  censor: [{ kind: 'dns', name: 'bit.ly', action: 'answer', a: ['10.10.34.35'] }],
  expected: {
    ooni: { blocking: false, accessible: true, dns_consistency: 'consistent', dns_experiment_failure: null, http_experiment_failure: null, control_failure: null, body_length_match: true, status_code_match: true, headers_match: true, title_match: true },
    verdict: { blocking: null, accessible: true, status: 'ok' },
  },
});

/**
 * A Node one-liner: one A query for bit.ly to `server`:53; prints every reply (and its source) as
 * JSON once two have arrived and 300 ms more brought no third, or after 10 s (a reply missing).
 * The waits are for the replies, so a busy machine delivering them late does not lose one.
 */
const RACE_SCRIPT = (server = '8.8.8.8') => `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
const q = Buffer.from('abcd0100000100000000000003626974026c790000010001', 'hex');
const out = []; const t0 = process.hrtime.bigint();
const done = () => { console.log(JSON.stringify(out)); s.close(); process.exit(0); };
s.on('message', (m, r) => {
  out.push({ ms: Number(process.hrtime.bigint() - t0) / 1e6, ip: [...m.subarray(m.length - 4)].join('.'), from: r.address });
  if (out.length === 2) setTimeout(done, 300);
});
s.send(q, 53, '${server}');
setTimeout(done, 10000);
`;

const CONNECT_SCRIPT = (host: string) => `
const net = require('node:net');
const c = net.connect({ host: '${host}', port: 443 });
c.on('connect', () => { console.log('connected'); c.destroy(); });
c.on('error', (e) => console.log(e.code));
`;

let lab: Lab | undefined;
let failure: unknown;
beforeAll(async () => {
  lab = await startLab(scenario).catch((e: unknown) => {
    failure = e;
    return undefined;
  });
});
afterAll(async () => {
  await lab?.stop();
});
const getLab = (): Lab => {
  if (!lab) throw failure instanceof Error ? failure : new Error(String(failure));
  return lab;
};

describe('the lab world, issue 3 additions', () => {
  it('a forged DNS reply races the genuine one: both arrive, forged first, the genuine a few ms later', async () => {
    const r = await getLab().execInProbe([process.execPath, '-e', RACE_SCRIPT()]);
    const replies = JSON.parse(r.stdout) as { ms: number; ip: string }[];
    expect(replies.map((x) => x.ip)).toEqual(['10.10.34.35', '67.199.248.11']);
    // Order is the property; the gap is a couple of ms (RACE_DELAY_MS), but a busy machine may deliver
    // both in one tick, or the second one late: a genuine reply, not one seconds later.
    expect(replies[1]!.ms - replies[0]!.ms).toBeGreaterThanOrEqual(0);
    expect(replies[1]!.ms - replies[0]!.ms).toBeLessThan(2000);
  });

  it('queries to any other resolver address on UDP 53 are answered (and raced) too, from that address', async () => {
    const r = await getLab().execInProbe([process.execPath, '-e', RACE_SCRIPT('1.2.3.4')]);
    const replies = JSON.parse(r.stdout) as { ip: string; from: string }[];
    expect(replies.map((x) => x.ip)).toEqual(['10.10.34.35', '67.199.248.11']);
    expect(replies.map((x) => x.from)).toEqual(['1.2.3.4', '1.2.3.4']);
  });

  it('the world does not race for queries from itself (the helper sees the truth only)', async () => {
    const r = await getLab().execInWorld([process.execPath, '-e', RACE_SCRIPT()]);
    expect((JSON.parse(r.stdout) as { ip: string }[]).map((x) => x.ip)).toEqual(['67.199.248.11']);
  });

  it('IPv6: the AAAA record resolves, the world serves it, and the probe has no route to it', async () => {
    const dig = await getLab().execInProbe(['dig', '+short', 'AAAA', 'www.example.com']);
    expect(dig.stdout.trim()).toBe(V6);
    expect((await getLab().execInWorld([process.execPath, '-e', CONNECT_SCRIPT(V6)])).stdout.trim()).toBe('connected');
    expect((await getLab().execInProbe([process.execPath, '-e', CONNECT_SCRIPT(V6)])).stdout.trim()).toBe('ENETUNREACH');
    expect((await getLab().execInProbe([process.execPath, '-e', CONNECT_SCRIPT('93.184.216.34')])).stdout.trim()).toBe('connected');
  });

  it('the news site changes its page on every request', async () => {
    const get = async () => (await getLab().execInProbe(['curl', '-s', '--max-time', '5', 'http://www.news-example.com/'])).stdout;
    const [a, b] = [await get(), await get()];
    expect(a).toMatch(/<title>Live news, update \d+<\/title>/);
    expect(a).not.toBe(b);
    expect(Math.min(a.length, b.length) / Math.max(a.length, b.length)).toBeLessThan(0.7);
  });

  it('without a helper nothing listens on 68.183.70.80:80: the control request is refused', async () => {
    const r = await getLab().execInProbe(['curl', '-sS', '--max-time', '5', 'http://68.183.70.80/']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Connection refused|Couldn't connect/);
  });
});
