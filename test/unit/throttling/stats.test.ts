import { describe, expect, it } from 'vitest';
import { coefficientOfVariation, ksTwoSample, mannWhitneyLess, median, normalCdf } from '../../../src/throttling/index.js';

describe('median and coefficient of variation', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
  it('gives 0 variation for equal values and NaN for an empty list', () => {
    expect(coefficientOfVariation([5, 5, 5])).toBe(0);
    expect(coefficientOfVariation([])).toBeNaN();
    expect(coefficientOfVariation([1, 3])).toBeCloseTo(0.5, 10);
  });
});

describe('one-sided Mann-Whitney U (target smaller than reference)', () => {
  it('gives the exact p = 1/252 for 5 vs 5 fully separated samples (peers-and-methods 3.5)', () => {
    const r = mannWhitneyLess([1, 2, 3, 4, 5], [10, 11, 12, 13, 14]);
    expect(r.statistic).toBe(0);
    expect(r.p).toBeCloseTo(1 / 252, 12);
  });
  it('gives p = 2/252 with one inversion, still below 0.01', () => {
    const r = mannWhitneyLess([1, 2, 3, 4, 11], [10, 12, 13, 14, 15]);
    expect(r.statistic).toBe(1);
    expect(r.p).toBeCloseTo(2 / 252, 12);
  });
  it('cannot reach p <= 0.01 with 3 vs 3 (floor 1/20 = 0.05)', () => {
    expect(mannWhitneyLess([1, 2, 3], [7, 8, 9]).p).toBeCloseTo(0.05, 12);
  });
  it('is near 1 when the target is the faster arm', () => {
    expect(mannWhitneyLess([10, 11, 12, 13, 14], [1, 2, 3, 4, 5]).p).toBeCloseTo(1, 12);
  });
  it('uses the normal approximation with tie correction when values tie', () => {
    const r = mannWhitneyLess([1, 1, 2, 2, 3], [3, 4, 4, 5, 5]);
    expect(r.statistic).toBe(0.5);
    expect(r.p).toBeGreaterThan(0.001);
    expect(r.p).toBeLessThan(0.02);
    expect(mannWhitneyLess([7, 7, 7], [7, 7, 7]).p).toBe(1);
  });
  it('returns p = 1 for an empty sample and throws on non-finite values', () => {
    expect(mannWhitneyLess([], [1, 2]).p).toBe(1);
    expect(() => mannWhitneyLess([Number.NaN], [1])).toThrow(RangeError);
  });
  it('matches the normal approximation for larger samples', () => {
    const a = Array.from({ length: 30 }, (_, i) => i);
    const b = Array.from({ length: 30 }, (_, i) => i + 15.5);
    const r = mannWhitneyLess(a, b);
    expect(r.p).toBeLessThan(0.001);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(-2.326)).toBeCloseTo(0.01, 3);
  });
});

describe('two-sample Kolmogorov-Smirnov', () => {
  it('gives p = 1 for identical samples and a small p for disjoint ones', () => {
    expect(ksTwoSample([1, 2, 3, 4], [1, 2, 3, 4]).p).toBe(1);
    const r = ksTwoSample(Array.from({ length: 40 }, (_, i) => i), Array.from({ length: 10 }, (_, i) => 1000 + i));
    expect(r.statistic).toBe(1);
    expect(r.p).toBeLessThan(1e-4);
  });
  it('returns p = 1 for an empty sample', () => {
    expect(ksTwoSample([], [1]).p).toBe(1);
  });
});
