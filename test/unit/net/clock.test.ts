import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/net/clock.js';

describe('createClock', () => {
  it('starts near zero and counts seconds monotonically', async () => {
    const clock = createClock();
    const a = clock.now();
    await new Promise((r) => setTimeout(r, 30));
    const b = clock.now();
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(0.05);
    expect(b - a).toBeGreaterThanOrEqual(0.02);
    expect(b - a).toBeLessThan(1);
  });
});
