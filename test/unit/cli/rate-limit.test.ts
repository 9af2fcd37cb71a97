import { describe, expect, it } from 'vitest';
import { createStartGate } from '../../../src/runner/rate-limit.js';

describe('--rate-limit start gate', () => {
  it('hands out start slots 1000/N ms apart in call order, the first at once (injected clock)', async () => {
    let t = 1000;
    const waits: number[] = [];
    const gate = createStartGate({ perSecond: 4, now: () => t, sleep: async (ms) => { waits.push(ms); } });
    await Promise.all([gate(), gate(), gate(), gate()]);
    expect(waits).toEqual([250, 500, 750]);
    t = 5000; // long after: no wait
    waits.length = 0;
    await gate();
    expect(waits).toEqual([]);
  });
});
