/**
 * The escalation measurement end to end on loopback: a server that polices responses for one Host
 * (the "censor") and serves the helper's reference stream; paired transfers, then the decision.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPairedTransfers, worstCaseMs, type PairedTransfersOptions } from '../../../src/flows/paired-transfers.js';
import { decideThrottling, roundOrder, transferMetrics } from '../../../src/throttling/index.js';
import type { TransferMetrics } from '../../../src/model/index.js';

type Arm = 'target' | 'reference';
async function run(o: Omit<PairedTransfersOptions<Arm>, 'order' | 'windowMs' | 'budgetMs'> & { pairs: number; seed: number }): Promise<{ order: Arm[]; transfers: TransferMetrics[] }> {
  const order = roundOrder(o.pairs, o.seed, ['target', 'reference']) as Arm[];
  const raw = await runPairedTransfers({ ...o, order, windowMs: o.timeoutMs, budgetMs: 60_000 });
  return { order, transfers: raw.map((t) => transferMetrics({ ...t, stallGapMs: o.timeoutMs / 2 })) };
}
import { createHelperServer, REFERENCE_STREAM_MAX_BYTES } from '../../../src/control/helper-server.js';

let helper: http.Server;
let policed: http.Server;
let helperPort = 0;
let policedPort = 0;
const RATE = 60_000; // bytes/s for Host slow.test

beforeAll(async () => {
  helper = createHelperServer({
    resolver: { kind: 'system' },
    timeouts: { dnsMs: 1000, connectMs: 1000, tlsMs: 1000, httpMs: 1000 },
    maxBodyBytes: 1024,
    maxRedirects: 0,
    maxInFlight: 2,
    software: 'censorprobe/test',
  });
  await new Promise<void>((r) => helper.listen(0, '127.0.0.1', r));
  helperPort = (helper.address() as AddressInfo).port;
  // A "path" that polices by Host and otherwise forwards to the helper's reference stream.
  policed = http.createServer((req, res) => {
    const up = http.get({ host: '127.0.0.1', port: helperPort, path: req.url, headers: { host: req.headers.host ?? '' } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      if (req.headers.host !== 'slow.test') {
        r.pipe(res);
        return;
      }
      // Police: 4 KiB slices at RATE bytes/s.
      let sent = 0;
      const start = Date.now();
      r.on('data', (chunk: Buffer) => {
        r.pause();
        const slices: Buffer[] = [];
        for (let o = 0; o < chunk.length; o += 4096) slices.push(chunk.subarray(o, o + 4096));
        const next = (): void => {
          const slice = slices.shift();
          if (slice === undefined || res.destroyed) {
            r.resume();
            return;
          }
          sent += slice.length;
          res.write(slice);
          setTimeout(next, Math.max(0, start + (sent / RATE) * 1000 - Date.now()));
        };
        next();
      });
      r.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
  });
  await new Promise<void>((r) => policed.listen(0, '127.0.0.1', r));
  policedPort = (policed.address() as AddressInfo).port;
});
afterAll(() => {
  policed.closeAllConnections();
  policed.close();
  helper.closeAllConnections();
  helper.close();
});

describe("the helper's reference stream", () => {
  it('serves exactly the bytes asked for, whatever the Host, and refuses bad sizes', async () => {
    const get = (path: string, host: string): Promise<{ status: number; bytes: number }> =>
      new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: helperPort, path, headers: { host } }, (r) => {
          let bytes = 0;
          r.on('data', (c: Buffer) => (bytes += c.length));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, bytes }));
        }).on('error', reject);
      });
    expect(await get('/x/reference-stream?bytes=100000', 'twitter.com')).toEqual({ status: 200, bytes: 100_000 });
    expect(await get('/x/reference-stream?bytes=1', 'example.org')).toEqual({ status: 200, bytes: 1 });
    expect((await get('/x/reference-stream?bytes=0', 'x')).status).toBe(400);
    expect((await get(`/x/reference-stream?bytes=${REFERENCE_STREAM_MAX_BYTES + 1}`, 'x')).status).toBe(400);
    expect((await get('/', 'x')).status).toBe(200); // the health check is unchanged
  });
});

describe('paired transfers on loopback', () => {
  it('interleaves 5 pairs on fresh connections in the seeded order and detects the Host-keyed policer', async () => {
    const url = `http://127.0.0.1:${helperPort}/x/reference-stream?bytes=262144`;
    const spec = { ip: '127.0.0.1', port: policedPort, tls: false, sni: null, noVerify: false, url };
    const result = await run({
      specs: { target: { ...spec, host: 'slow.test' }, reference: { ...spec, host: 'example.org' } },
      pairs: 5,
      seed: 7,
      maxBytes: 262_144,
      // A 2 s window (the policed target needs 4.4 s for its 256 KiB, so it is always cut): long
      // enough that a busy machine's stalls, which the policer makes up for, barely move the rate.
      timeoutMs: 2000,
      gapMs: 0,
    });
    expect(result.order).toHaveLength(10);
    expect(result.transfers.map((t) => t.arm)).toEqual(result.order);
    const target = result.transfers.filter((t) => t.arm === 'target');
    const reference = result.transfers.filter((t) => t.arm === 'reference');
    for (const t of target) {
      expect(t.failure).toBe('generic_timeout_error');
      expect(t.goodput_bps).toBeGreaterThan(RATE * 8 * 0.7);
      expect(t.goodput_bps).toBeLessThan(RATE * 8 * 1.3);
      expect(t.host).toBe('slow.test');
    }
    for (const t of reference) {
      expect(t.completed).toBe(true);
      expect(t.bytes).toBeGreaterThanOrEqual(262_144);
    }
    const d = decideThrottling({ transfers: result.transfers, controlGoodputBps: null });
    expect(d.outcome).toBe('throttled_severe');
    expect(d.p_value).toBeLessThanOrEqual(0.01);
  }, 60_000);
  it('records a refused connection as a failed transfer without throwing', async () => {
    const r = await run({
      specs: {
        target: { ip: '127.0.0.1', port: 1, tls: false, sni: null, noVerify: false, url: 'http://127.0.0.1:1/', host: 'a.test' },
        reference: { ip: '127.0.0.1', port: 1, tls: false, sni: null, noVerify: false, url: 'http://127.0.0.1:1/', host: 'b.test' },
      },
      pairs: 1,
      seed: 1,
      maxBytes: 1024,
      timeoutMs: 500,
      gapMs: 0,
    });
    expect(r.transfers.map((t) => [t.failure, t.failed_operation])).toEqual([['connection_refused', 'connect'], ['connection_refused', 'connect']]);
  });
  it('documents its worst case: the budget plus one transfer started just before it ran out', () => {
    expect(worstCaseMs({ budgetMs: 30_000, timeoutMs: 5000, windowMs: 2000, gapMs: 200 })).toBe(42_200);
  });
  it('stops starting transfers when the budget is spent', async () => {
    const url = `http://127.0.0.1:${policedPort}/x/reference-stream?bytes=1000000`;
    const spec = { ip: '127.0.0.1', port: policedPort, tls: false, sni: null, noVerify: false, url, host: 'slow.test' };
    // Each transfer is cut by its 1 s window (the policed stream would take 16 s), then a 3 s pause:
    // the second starts at ~4 s, inside the 5.5 s budget (1.5 s to spare), the third would start at
    // ~8 s, after it (2.5 s to spare), so a busy machine's late timers cannot change the count.
    const raw = await runPairedTransfers({ order: ['target', 'target', 'target', 'target'], specs: { target: spec }, maxBytes: 1_000_000, timeoutMs: 1000, windowMs: 1000, gapMs: 3000, budgetMs: 5500 });
    expect(raw.length).toBe(2);
  }, 30_000);
  it("serves the helper's reference stream over TLS on the same port, any SNI, with wire bytes and a time-window goodput", async () => {
    const url = `https://example.org/x/reference-stream?bytes=200000`;
    const spec = { ip: '127.0.0.1', port: helperPort, tls: true, sni: 'twitter.com', noVerify: true, url, host: 'example.org' };
    const raw = await runPairedTransfers({ order: ['other_path'], specs: { other_path: spec }, maxBytes: 1_000_000, timeoutMs: 5000, windowMs: 5000, gapMs: 0, budgetMs: 10_000 });
    const t = transferMetrics({ ...raw[0]!, stallGapMs: 2500 });
    expect(t.failure).toBeNull();
    expect(t.completed).toBe(true);
    expect(t.bytes).toBeGreaterThanOrEqual(200_000);
    expect(t.wire_bytes).toBeGreaterThan(t.bytes); // TLS records and handshake on the wire
    expect(t.goodput_basis).toBe('wire');
  }, 20_000);
});
