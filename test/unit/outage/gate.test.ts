/** The runner's outage gate: rounds before, after a failing streak and after the run (loopback checks only). */
import dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBaseline } from '../../../src/outage/index.js';
import { createOutageGate } from '../../../src/runner/outage-gate.js';
import type { ReportRecord } from '../../../src/model/index.js';

const rec = (input: string, accessible: boolean): ReportRecord =>
  ({
    input,
    verdict: accessible
      ? { blocking: null, accessible: true, status: 'ok', layers: [], reasons: ['ok'] }
      : { blocking: 'tcp_ip', accessible: false, status: 'anomaly', layers: ['tcp_ip'], reasons: ['connect timed out'] },
  }) as unknown as ReportRecord;

let silent: dgram.Socket;
let server: net.Server;
let silentPort = 0;
let tcpPort = 0;
let up = true; // whether the TCP check answers (the "network")
beforeAll(async () => {
  silent = dgram.createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  silentPort = silent.address().port;
  server = net.createServer((s) => (up ? s.destroy() : undefined));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  tcpPort = (server.address() as AddressInfo).port;
});
afterAll(() => {
  silent.close();
  server.close();
});

describe('the outage gate', () => {
  it('passes lines through with the vantage when the baselines work', async () => {
    // The check succeeds (a loopback connect): a generous timeout costs nothing and a busy machine cannot turn it into a failure.
    const gate = createOutageGate({ checks: [parseBaseline(`tcp://127.0.0.1:${tcpPort}`)], timeoutMs: 10_000, streak: 3 });
    expect((await gate.before()).state).toBe('normal');
    const out = await gate.accept(rec('http://a.test/', true));
    expect(out).toHaveLength(1);
    expect(out[0]?.vantage?.state).toBe('normal');
  });
  it('holds a failing streak, then rewrites it when the next round says the network is offline', async () => {
    const checks = [parseBaseline(`dns://127.0.0.1:${silentPort}/x.test`)];
    const gate = createOutageGate({ checks, timeoutMs: 200, streak: 2 });
    expect(await gate.accept(rec('http://a.test/', false))).toEqual([]);
    const out = await gate.accept(rec('http://b.test/', false));
    expect(out.map((r) => r.input)).toEqual(['http://a.test/', 'http://b.test/']);
    for (const r of out) {
      expect(r.verdict.status).toBe('inconclusive');
      expect(r.verdict.blocking).toBeNull();
      expect(r.vantage?.round.when).toBe('streak');
    }
    // Later failing lines are held again for the next round (the network may recover); at the end
    // they carry the state known then.
    expect(await gate.accept(rec('http://c.test/', false))).toEqual([]);
    const end = await gate.finish(true);
    expect(end.lines[0]?.verdict.reasons[0]).toMatch(/^local network offline/);
    expect(end.after?.state).toBe('local_offline');
    expect(gate.rounds.map((r) => r.when)).toEqual(['streak', 'after']);
  });
  it('flushes a held streak unchanged when an accessible target follows, and at the end', async () => {
    const gate = createOutageGate({ checks: [parseBaseline(`tcp://127.0.0.1:${tcpPort}`)], timeoutMs: 300, streak: 5 });
    expect(await gate.accept(rec('http://a.test/', false))).toEqual([]);
    const out = await gate.accept(rec('http://b.test/', true));
    expect(out.map((r) => [r.input, r.verdict.status])).toEqual([['http://a.test/', 'anomaly'], ['http://b.test/', 'ok']]);
    await gate.accept(rec('http://c.test/', false));
    const end = await gate.finish(false);
    expect(end.lines.map((r) => r.input)).toEqual(['http://c.test/']);
    expect(end.after).toBeNull();
  });
  it('is a pass-through without checks', async () => {
    const gate = createOutageGate({ checks: [], timeoutMs: 300, streak: 2 });
    const r = rec('http://a.test/', false);
    expect(await gate.accept(r)).toEqual([r]);
    expect(await gate.accept(r)).toEqual([r]);
    expect((await gate.finish(true)).after).toBeNull();
  });
});

describe('the outage gate after the network recovers', () => {
  it('holds failing lines again while offline, and writes them as normal once a round sees the network back', async () => {
    const dnsPacket = (await import('dns-packet')).default;
    let answering = false;
    const dns = dgram.createSocket('udp4');
    dns.on('message', (msg, rinfo) => {
      if (!answering) return;
      const q = dnsPacket.decode(msg);
      const answers = q.questions?.[0]?.type === 'A' ? [{ type: 'A' as const, name: q.questions[0].name, ttl: 60, class: 'IN' as const, data: '93.184.216.34' }] : [];
      dns.send(dnsPacket.encode({ type: 'response', id: q.id ?? 0, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions ?? [], answers }), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => dns.bind(0, '127.0.0.1', r));
    try {
      const gate = createOutageGate({ checks: [parseBaseline(`dns://127.0.0.1:${dns.address().port}/x.test`)], timeoutMs: 200, streak: 1 });
      expect((await gate.before()).state).toBe('local_offline');
      answering = true;
      const out = await gate.accept(rec('http://a.test/', false));
      expect(out.map((r) => [r.input, r.vantage?.state, r.verdict.blocking])).toEqual([['http://a.test/', 'normal', 'tcp_ip']]);
    } finally {
      dns.close();
    }
  });
});

describe('which lines count toward a failing streak', () => {
  const line = (accessible: boolean | null, responses: number): ReportRecord =>
    ({
      input: 'http://a.test/',
      verdict: { blocking: null, accessible, status: accessible === null ? 'inconclusive' : 'ok', layers: [], reasons: [] },
      observations: { requests: Array.from({ length: responses }, () => ({ failure: null, response: { code: 200 } })) },
    }) as unknown as ReportRecord;
  it('a failed fetch counts; an inconclusive line whose fetch worked (no control to compare with) does not', async () => {
    const { fetchFailed } = await import('../../../src/runner/outage-gate.js');
    expect(fetchFailed(line(null, 1))).toBe(false);
    expect(fetchFailed(line(null, 0))).toBe(true);
    expect(fetchFailed(line(false, 1))).toBe(true);
    expect(fetchFailed(line(true, 1))).toBe(false);
  });
});
