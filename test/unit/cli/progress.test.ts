import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, progressLine } from '../../../src/cli/progress.js';

describe('progress figures', () => {
  it('formats durations and the periodic line', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(1145)).toBe('19m05s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
    expect(progressLine(120, 1722, 85_714)).toBe('progress: 120/1722 (6%), 1.4 targets/s, ETA 19m04s');
    expect(progressLine(0, 10, 0)).toBe('progress: 0/10 (0%), 0.0 targets/s, ETA ?');
  });
});

describe('the plain progress line (no terminal, or -q)', () => {
  it('is written once per interval of the injected clock and stops with the run', () => {
    let t = 0;
    let tick: (() => void) | null = null;
    let period = 0;
    const err = new PassThrough();
    let text = '';
    err.on('data', (c: Buffer) => (text += c.toString()));
    const p = createProgress({
      stream: err, lines: new PassThrough(), bar: false, intervalMs: 30_000, now: () => t,
      every: (ms, fn) => { period = ms; tick = fn; return () => { tick = null; }; },
    });
    p.start(100);
    expect(period).toBe(30_000);
    t = 30_000;
    p.update(10);
    tick!();
    t = 60_000;
    p.update(20);
    tick!();
    p.stop();
    expect(tick).toBeNull();
    expect(text.split('\n').filter(Boolean)).toEqual([
      'progress: 10/100 (10%), 0.3 targets/s, ETA 4m30s',
      'progress: 20/100 (20%), 0.3 targets/s, ETA 4m00s',
    ]);
  });
});
