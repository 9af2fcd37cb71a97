/**
 * The decision on recorded samples (fixtures/throttling/*.json: the paired transfers of the lab
 * scenarios, recorded by the real probe) and on synthetic borderline cases around every threshold
 * of peers-and-methods 3.5.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decideThrottling, throttlingHook, throttlingReason, THRESHOLDS } from '../../../src/throttling/index.js';
import type { ThrottlingRecord, TransferMetrics } from '../../../src/model/index.js';
import { pairs, transfer } from './build.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/throttling');
function recorded(name: string): { control: number | null; rec: ThrottlingRecord } {
  const j = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as { control_goodput_bps: number | null; throttling: ThrottlingRecord };
  return { control: j.control_goodput_bps, rec: j.throttling };
}
const redo = (name: string) => {
  const { control, rec } = recorded(name);
  return decideThrottling({ transfers: rec.escalation?.transfers ?? [], controlGoodputBps: control });
};

describe('the decision on recorded lab transfers', () => {
  it('calls the 150 kbit/s SNI policer severe throttling, with a policer plateau near 150 kbit/s', () => {
    const d = redo('throttlingSniRateLimitHTTPS');
    expect(d.outcome).toBe('throttled_severe');
    expect(d.throttled).toBe(true);
    expect(d.ratio).toBeLessThan(0.1);
    expect(d.p_value).toBeCloseTo(1 / 252, 10);
    expect(d.ks_p_value).toBeLessThan(0.01);
    expect(d.mechanism).toBe('policer');
    expect(d.plateau_kbps).toBeGreaterThan(140);
    expect(d.plateau_kbps).toBeLessThan(160);
  });
  it('calls the Host-keyed policer on the helper stream severe throttling', () => {
    expect(redo('throttlingHostRateLimitHTTP').outcome).toBe('throttled_severe');
  });
  it('finds the freeze after 16 KiB, repeatable in every target transfer', () => {
    const d = redo('throttlingFreezeAfter16KiB');
    expect(d.outcome).toBe('throttled_freeze');
    expect(d.freeze_after_bytes).toBe(16_384);
  });
  it('finds the throttled handshake when the body is too small for goodput', () => {
    const d = redo('throttlingHandshake');
    expect(d.outcome).toBe('throttled_handshake');
    expect(d.goodput_bps.target).toBeNull();
    expect(d.handshake_ms.target).toBeGreaterThan(1000);
  });
  it('does not call a uniformly slow path throttling: network degraded', () => {
    const d = redo('uniformlySlowNetwork');
    expect(d.throttled).toBe(false);
    expect(d.outcome).toBe('not_throttled');
    expect(d.attribution).toBe('network_degraded');
  });
  it('does not call a slow server that the control also sees slow throttling: server slow', () => {
    const d = redo('slowServerControlAlsoSlow');
    expect(d.throttled).toBe(false);
    expect(d.attribution).toBe('server_slow');
  });
  it('reproduces the outcome and figures stored in each recording (made before the three-arm rules)', () => {
    for (const name of ['throttlingSniRateLimitHTTPS', 'throttlingHostRateLimitHTTP', 'throttlingFreezeAfter16KiB', 'throttlingHandshake', 'uniformlySlowNetwork', 'slowServerControlAlsoSlow']) {
      const stored = recorded(name).rec.escalation?.decision;
      const now = redo(name);
      expect({ outcome: now.outcome, freeze: now.freeze_after_bytes, attribution: now.attribution }, name)
        .toEqual({ outcome: stored?.outcome, freeze: stored?.freeze_after_bytes, attribution: stored?.attribution });
      // A throttled handshake now reports the speed ratio of the handshakes when no goodput compares.
      if (stored?.ratio !== null) expect({ ratio: now.ratio, p: now.p_value }, name).toEqual({ ratio: stored?.ratio, p: stored?.p_value });
    }
  });
});

describe('borderline ratios (rule 4)', () => {
  const ref = [10e6, 10.2e6, 9.8e6, 10.1e6, 9.9e6]; // 10 Mbit/s: the 50 % limit applies
  const scaled = (r: number): number[] => ref.map((x) => x * r);
  it('ratio 0.49 with both tests passing: throttled', () => {
    const d = decideThrottling({ transfers: pairs(scaled(0.49), ref), controlGoodputBps: null });
    expect(d.ratio).toBeCloseTo(0.49, 2);
    expect(d.outcome).toBe('throttled');
  });
  it('ratio 0.51: the grey zone, inconclusive', () => {
    expect(decideThrottling({ transfers: pairs(scaled(0.51), ref), controlGoodputBps: null }).outcome).toBe('inconclusive');
  });
  it('ratio 0.69: still inconclusive; 0.71 with overlapping arms: not throttled', () => {
    expect(decideThrottling({ transfers: pairs(scaled(0.69), ref), controlGoodputBps: null }).outcome).toBe('inconclusive');
    const overlap = decideThrottling({ transfers: pairs([7e6, 9e6, 11e6, 8e6, 10e6], [9e6, 10e6, 12e6, 8.5e6, 11e6]), controlGoodputBps: null });
    expect(overlap.ratio).toBeGreaterThan(0.7);
    expect(overlap.outcome).toBe('not_throttled');
  });
  it('ratio 0.65 against a reference faster than 10 Mbit/s: throttled (the 70 % limit, Wehe 30 %)', () => {
    const fast = [20e6, 20.5e6, 19.5e6, 20.2e6, 19.8e6];
    expect(decideThrottling({ transfers: pairs(fast.map((x) => x * 0.65), fast), controlGoodputBps: null }).outcome).toBe('throttled');
  });
  it('ratio 0.10 needs only Mann-Whitney (severe); at 0.11 a failing KS test makes it inconclusive', () => {
    const flat = { target: { samples: [1000, 1000] }, reference: { samples: [1000, 1000] } }; // identical bins: KS p = 1
    expect(decideThrottling({ transfers: pairs(scaled(0.1), ref, flat), controlGoodputBps: null }).outcome).toBe('throttled_severe');
    expect(decideThrottling({ transfers: pairs(scaled(0.11), ref, flat), controlGoodputBps: null }).outcome).toBe('inconclusive');
  });
  it('a low ratio with one inversion (p = 2/252) is still throttled; two inversions (p = 0.016) are not', () => {
    const t = [1e6, 1.1e6, 1.2e6, 1.3e6, 10.5e6];
    const one = decideThrottling({ transfers: pairs(t, [10e6, 11e6, 13e6, 14e6, 15e6]), controlGoodputBps: null });
    expect(one.mann_whitney_u).toBe(1);
    expect(one.outcome).toBe('throttled_severe');
    const two = decideThrottling({ transfers: pairs([1e6, 1.1e6, 1.2e6, 12e6, 12.5e6], [10e6, 11e6, 13e6, 14e6, 15e6]), controlGoodputBps: null });
    expect(two.p_value).toBeGreaterThan(THRESHOLDS.alpha);
    expect(two.throttled).toBe(false);
  });
});

describe('the other rules', () => {
  it('rule 1: fewer than 3 usable reference transfers → inconclusive', () => {
    const t = pairs([1e5, 1e5, 1e5, 1e5, 1e5], [1e7, 1e7, 1e7, 1e7, 1e7]).map((x, i) =>
      x.arm === 'reference' && x.trial < 3 && i >= 0 ? { ...x, failure: 'connection_reset', failed_operation: 'tls_handshake', t_ttfb_ms: null } : x);
    const d = decideThrottling({ transfers: t, controlGoodputBps: null });
    expect(d.outcome).toBe('inconclusive');
    expect(d.reasons[0]).toMatch(/reference arms unusable/);
  });
  it('rule 2: the target failing before any response in 4 of 5 trials is blocking, not throttling', () => {
    const t = pairs([1e5, 1e5, 1e5, 1e5, 1e5], [1e7, 1e7, 1e7, 1e7, 1e7]).map((x) =>
      x.arm === 'target' && x.trial < 4 ? { ...x, failure: 'connection_reset', failed_operation: 'tls_handshake', t_ttfb_ms: null, goodput_bps: null } : x);
    const d = decideThrottling({ transfers: t, controlGoodputBps: null });
    expect(d.outcome).toBe('blocked');
    expect(d.throttled).toBe(false);
  });
  it('rule 3: stalls spread more than ±25 % or outside 4-128 KiB are not a freeze', () => {
    const frozen = (s: number[]) => pairs([1, 1, 1, 1, 1].map(() => 0), [1e7, 1e7, 1e7, 1e7, 1e7]).map((x) =>
      x.arm === 'target' ? { ...x, goodput_bps: null, completed: false, stall_after_bytes: s[x.trial] ?? null, failure: 'generic_timeout_error', failed_operation: 'http_round_trip' } : x);
    expect(decideThrottling({ transfers: frozen([16_000, 16_200, 15_900, 16_100, 16_000]), controlGoodputBps: null }).outcome).toBe('throttled_freeze');
    expect(decideThrottling({ transfers: frozen([5000, 16_000, 40_000, 90_000, 120_000]), controlGoodputBps: null }).outcome).not.toBe('throttled_freeze');
    expect(decideThrottling({ transfers: frozen([200_000, 200_000, 200_000, 200_000, 200_000]), controlGoodputBps: null }).outcome).not.toBe('throttled_freeze');
    expect(decideThrottling({ transfers: frozen([2000, 2000, 2000, 2000, 2000]), controlGoodputBps: null }).outcome).not.toBe('throttled_freeze');
  });
  it('rule 5: a handshake 5x slower than the reference but under the 1 s floor is not throttling', () => {
    const t = pairs([], []).concat(
      [0, 1, 2, 3, 4].map((i) => transfer('target', i, { t_tls_ms: 900, goodput_bps: null })),
      [0, 1, 2, 3, 4].map((i) => transfer('reference', i, { t_tls_ms: 40, goodput_bps: null })),
    );
    expect(decideThrottling({ transfers: t, controlGoodputBps: null }).outcome).toBe('not_throttled');
    const slow = t.map((x) => (x.arm === 'target' ? { ...x, t_tls_ms: 1200 } : x));
    expect(decideThrottling({ transfers: slow, controlGoodputBps: null }).outcome).toBe('throttled_handshake');
  });
  it('rule 7: a control as slow as the target makes it the server, not throttling', () => {
    const d = decideThrottling({ transfers: pairs([150e3, 151e3, 149e3, 150e3, 150e3], [1e7, 1e7, 1e7, 1e7, 1e7]), controlGoodputBps: 250e3 });
    expect(d.outcome).toBe('server_slow');
    expect(d.throttled).toBe(false);
    const fastControl = decideThrottling({ transfers: pairs([150e3, 151e3, 149e3, 150e3, 150e3], [1e7, 1e7, 1e7, 1e7, 1e7]), controlGoodputBps: 50e6 });
    expect(fastControl.outcome).toBe('throttled_severe');
  });
  it('the verdict sentence carries the figures, the trials and the seed', () => {
    const d = decideThrottling({ transfers: pairs([150e3, 151e3, 149e3, 150e3, 150e3], [1e7, 1.1e7, 0.9e7, 1e7, 1e7]), controlGoodputBps: null });
    expect(throttlingReason(d, 42)).toMatch(/150\.0 kbit\/s vs same address with a harmless name 10\.00 Mbit\/s .*ratio 0\.015.*p=0\.00[45].*trials 5\+5, seed 42; flat plateau ~150 kbit\/s/);
  });
});

describe('throttlingHook (what the probe and `analyze --reclassify` both use)', () => {
  const load = (name: string): { throttling: ThrottlingRecord } => JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
  it('re-decides a stored throttled record as throttling, with the figures in the reason', () => {
    const hook = throttlingHook(load('throttlingSniRateLimitHTTPS').throttling);
    expect(hook).toBeDefined();
    expect(hook?.()).toMatch(/ratio/);
  });
  it('gives no hook for a record that is not throttled, or has no escalation', () => {
    expect(throttlingHook(load('uniformlySlowNetwork').throttling)).toBeUndefined();
    expect(throttlingHook(null)).toBeUndefined();
  });
});

describe('three arms (docs/throttling.md "Decision")', () => {
  const slow = [150e3, 151e3, 149e3, 152e3, 148e3];
  const fast = [50e6, 51e6, 49e6, 52e6, 48e6];
  const arm = (name: 'target' | 'reference' | 'other_path', g: number[], over: Partial<TransferMetrics> = {}): TransferMetrics[] =>
    g.map((x, i) => transfer(name, i, { goodput_bps: x, samples: Array.from({ length: 4 }, () => Math.round((x / 8) * 0.25)), ...over }));
  it('name-keyed: the target slow, the same address with a harmless name fast', () => {
    const d = decideThrottling({ transfers: [...arm('target', slow), ...arm('reference', fast), ...arm('other_path', fast)], controlGoodputBps: 40e6 });
    expect(d).toMatchObject({ outcome: 'throttled_severe', key: 'name', compared_with: 'reference' });
    expect(d.p_value).toBeLessThanOrEqual(0.01);
  });
  it('address-keyed: both names slow at the address, the other path and the control fast', () => {
    const d = decideThrottling({ transfers: [...arm('target', slow), ...arm('reference', slow.map((x) => x * 1.01)), ...arm('other_path', fast)], controlGoodputBps: 40e6 });
    expect(d).toMatchObject({ outcome: 'throttled_severe', key: 'address', compared_with: 'other_path', throttled: true });
    expect(d.goodput_bps.other_path).toBeGreaterThan(40e6);
    expect(d.p_value).toBeLessThanOrEqual(0.01);
  });
  it('server slow: both names slow, the other path fast, the control slow too (by rate or cut by its deadline)', () => {
    const transfers = [...arm('target', slow), ...arm('reference', slow), ...arm('other_path', fast)];
    expect(decideThrottling({ transfers, controlGoodputBps: 200e3 })).toMatchObject({ outcome: 'server_slow', throttled: false, attribution: 'server_slow' });
    expect(decideThrottling({ transfers, controlGoodputBps: null, controlSlow: true })).toMatchObject({ outcome: 'server_slow', throttled: false });
  });
  it('degraded network: every arm slow', () => {
    const d = decideThrottling({ transfers: [...arm('target', slow), ...arm('reference', slow), ...arm('other_path', slow.map((x) => x * 1.02))], controlGoodputBps: 40e6 });
    expect(d).toMatchObject({ outcome: 'not_throttled', throttled: false, attribution: 'network_degraded' });
  });
  it('handshake first: handshakes that completed slowly, then an HTTP timeout, are a throttled handshake, not blocking', () => {
    const starved = arm('target', [0, 0, 0, 0, 0], { t_tls_ms: 3000, t_ttfb_ms: null, goodput_bps: null, failure: 'generic_timeout_error', failed_operation: 'http_round_trip', completed: false });
    const d = decideThrottling({ transfers: [...starved, ...arm('reference', fast, { t_tls_ms: 6 })], controlGoodputBps: null });
    expect(d.outcome).toBe('throttled_handshake');
    expect(d.ratio).toBeLessThan(0.01);
    expect(d.p_value).toBeLessThanOrEqual(0.01);
  });
  it('a reset on data after the handshake for every name is interference with the address and port', () => {
    const reset = { t_ttfb_ms: null, goodput_bps: null, failure: 'connection_reset', failed_operation: 'http_round_trip', completed: false, bytes: 0 };
    const d = decideThrottling({ transfers: [...arm('target', slow, reset), ...arm('reference', slow, reset), ...arm('other_path', fast)], controlGoodputBps: null });
    expect(d.outcome).toBe('blocked');
    expect(d.interference).toEqual({ kind: 'reset_on_data', address: '192.0.2.1:443', names: ['target.test', 'example.org'] });
    expect(d.reasons[0]).toMatch(/residual blocking/);
    const byName = decideThrottling({ transfers: [...arm('target', slow, reset), ...arm('reference', fast), ...arm('other_path', fast)], controlGoodputBps: null });
    expect(byName.interference).toBeNull();
  });
  it('a server that gives no rate for the harmless name: throttled, key unknown', () => {
    const tiny = arm('reference', [0, 0, 0, 0, 0], { goodput_bps: null, bytes: 300 });
    const d = decideThrottling({ transfers: [...arm('target', slow), ...tiny, ...arm('other_path', fast)], controlGoodputBps: 40e6 });
    expect(d).toMatchObject({ throttled: true, key: null, compared_with: 'other_path' });
  });
});
