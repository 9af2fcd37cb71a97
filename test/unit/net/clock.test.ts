import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClock } from '../../../src/net/clock.js';

describe('createClock', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('counts seconds from the moment it was created (injected performance.now)', () => {
    let ms = 12_345.5;
    vi.spyOn(performance, 'now').mockImplementation(() => ms);
    const clock = createClock();
    expect(clock.now()).toBe(0);
    ms += 30;
    expect(clock.now()).toBeCloseTo(0.03, 9);
    ms += 1500;
    expect(clock.now()).toBeCloseTo(1.53, 9);
  });

  it('on the real clock: starts at zero time, never goes backwards, and is in seconds', () => {
    // Bracketed by performance.now() readings, so no bound depends on how fast this machine is
    // (EPS: the rounding of ms -> s -> ms).
    const EPS = 1e-6;
    const before = performance.now();
    const clock = createClock();
    const a = clock.now();
    const after = performance.now();
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a * 1000).toBeLessThanOrEqual(after - before + EPS);
    let last = a;
    for (let i = 0; i < 1000; i++) {
      const t = clock.now();
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
    const p0 = performance.now();
    const b = clock.now();
    const p1 = performance.now();
    // Zero time lies between `before` and `after`: b (seconds) is within the readings around it (ms).
    expect(b * 1000).toBeGreaterThanOrEqual(p0 - after - EPS);
    expect(b * 1000).toBeLessThanOrEqual(p1 - before + EPS);
  });
});
