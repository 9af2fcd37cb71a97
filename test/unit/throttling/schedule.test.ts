import { describe, expect, it } from 'vitest';
import { pairOrder, seededRandom } from '../../../src/throttling/index.js';

describe('the interleaving schedule', () => {
  it('is the same for the same seed and mirrors each pair (A,B,B,A,... or B,A,A,B,...)', () => {
    const a = pairOrder(5, 42);
    expect(pairOrder(5, 42)).toEqual(a);
    expect(a).toHaveLength(10);
    for (let i = 0; i < 5; i++) expect(a[2 * i]).not.toBe(a[2 * i + 1]);
    for (let i = 1; i < 5; i++) expect(a[2 * i]).toBe(a[2 * i - 1]);
    expect(a.filter((x) => x === 'target')).toHaveLength(5);
  });
  it('starts with either arm depending on the seed', () => {
    const firsts = new Set(Array.from({ length: 20 }, (_, s) => pairOrder(1, s)[0]));
    expect(firsts).toEqual(new Set(['target', 'reference']));
  });
  it('draws reproducible numbers in [0, 1) and rejects zero pairs', () => {
    const r1 = seededRandom(7);
    const r2 = seededRandom(7);
    for (let i = 0; i < 100; i++) {
      const x = r1();
      expect(x).toBe(r2());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(() => pairOrder(0, 1)).toThrow(RangeError);
  });
});
