/**
 * The run pool (src/runner/run.ts runTargets) with an injected measurement and a fake sink: no
 * network, no timers. Every measurement is a deferred promise the test settles, and every wait is
 * for an event (a measurement started, a line written), so the order of things is decided by the
 * test, not by a machine's speed. Covers: one line per target in completion order (input order at
 * concurrency 1), the concurrency bound, a measurement that throws (one internal-error line, the
 * others still measured), the abort signal (no new starts, in-flight lines dropped), and the
 * `--rate-limit` start gate (with an injected clock and sleep).
 */
import { describe, expect, it } from 'vitest';
import { runTargets, type MeasureFn, type RunEvent, type RunTargetsOptions } from '../../../src/runner/run.js';
import { createRunContext } from '../../../src/runner/measure-target.js';
import { INTERNAL_ERROR_FAILURE, internalErrorRecord } from '../../../src/runner/internal-error.js';
import type { RunConfig } from '../../../src/runner/config.js';
import { testRunConfig } from './support/config.js';
import type { ReportRecord, Target } from '../../../src/model/index.js';
import { validateRecord } from '../../../src/report/schema.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves once `check()` is true, re-checked whenever `notify()` is called. */
function conditions(): { until(check: () => boolean): Promise<void>; notify(): void } {
  let waiters: { check: () => boolean; resolve: () => void }[] = [];
  return {
    until(check) {
      if (check()) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ check, resolve }));
    },
    notify() {
      const ready = waiters.filter((w) => w.check());
      waiters = waiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve();
    },
  };
}

const config = testRunConfig;

const targets = (n: number): Target[] => Array.from({ length: n }, (_, i) => ({ url: `https://t${i}.example/`, category_code: null, source: 'argv' }));

/** A valid line for `target` saying it was accessible (what the fake measurement returns). */
function okRecord(target: Target, cfg: RunConfig): ReportRecord {
  const base = internalErrorRecord(target, cfg, createRunContext(), new Error('unused'), new Date());
  return {
    ...base,
    control: { ...base.control, failure: null },
    ooni: { ...base.ooni, control_failure: null },
    verdict: { blocking: null, accessible: true, status: 'ok', layers: [], reasons: ['fake measurement'] },
  };
}

/** The fake measurement: each call is a pending deferred the test settles by input index. */
function fakeMeasure(): {
  measure: MeasureFn;
  started: number[];
  signals: (AbortSignal | undefined)[];
  maxInFlight: () => number;
  finish(index: number): void;
  fail(index: number, error: unknown): void;
  untilStarted(n: number): Promise<void>;
} {
  const pending = new Map<number, { d: Deferred<ReportRecord>; target: Target; cfg: RunConfig }>();
  const started: number[] = [];
  const signals: (AbortSignal | undefined)[] = [];
  const c = conditions();
  let inFlight = 0;
  let max = 0;
  const measure: MeasureFn = async (target, cfg, _ctx, signal) => {
    const index = Number(/t(\d+)\./.exec(target.url)?.[1]);
    const d = deferred<ReportRecord>();
    pending.set(index, { d, target, cfg });
    started.push(index);
    signals.push(signal);
    inFlight++;
    max = Math.max(max, inFlight);
    c.notify();
    try {
      return await d.promise;
    } finally {
      inFlight--;
    }
  };
  const take = (index: number) => {
    const p = pending.get(index);
    if (p === undefined) throw new Error(`target ${index} was not started`);
    pending.delete(index);
    return p;
  };
  return {
    measure,
    started,
    signals,
    maxInFlight: () => max,
    finish(index) {
      const p = take(index);
      p.d.resolve(okRecord(p.target, p.cfg));
    },
    fail(index, error) {
      take(index).d.reject(error);
    },
    untilStarted: (n) => c.until(() => started.length >= n),
  };
}

/** A sink that records lines and lets the test wait for the n-th. */
function fakeSink(): { sink: RunTargetsOptions['sink']; lines: ReportRecord[]; untilLines(n: number): Promise<void> } {
  const lines: ReportRecord[] = [];
  const c = conditions();
  return {
    lines,
    sink: {
      write: async (r) => {
        lines.push(r);
        c.notify();
      },
    },
    untilLines: (n) => c.until(() => lines.length >= n),
  };
}

/** Lets every pending promise job and I/O callback run once (no timer involved). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const urlOf = (i: number): string => `https://t${i}.example/`;

describe('runTargets with an injected measurement', () => {
  it('writes one line per target as each finishes (completion order; measured events carry the input index)', async () => {
    const m = fakeMeasure();
    const s = fakeSink();
    const events: RunEvent[] = [];
    const cfg = config({ concurrency: 5 });
    const run = runTargets(targets(5), {
      config: cfg, context: createRunContext(), sink: s.sink, measure: m.measure, probeAddresses: [], onEvent: (e) => void events.push(e),
      // Without --rate-limit there is no start gate: a sleep would fail the run.
      startGateClock: { sleep: () => Promise.reject(new Error('no gate without --rate-limit')) },
    });
    await m.untilStarted(5);
    expect(m.started).toEqual([0, 1, 2, 3, 4]); // started in input order
    const finishOrder = [3, 1, 4, 0, 2];
    for (const [k, i] of finishOrder.entries()) {
      m.finish(i);
      await s.untilLines(k + 1);
    }
    const summary = await run;
    expect(s.lines.map((r) => r.input)).toEqual(finishOrder.map(urlOf));
    const measured = events.filter((e): e is Extract<RunEvent, { kind: 'measured' }> => e.kind === 'measured');
    expect(measured.map((e) => [e.index, e.done, e.total])).toEqual(finishOrder.map((i, k) => [i, k + 1, 5]));
    expect(events[0]).toEqual({ kind: 'start', total: 5, skipped: 0 });
    expect(summary).toMatchObject({ measured: 5, total: 5, interrupted: false, errors: 0, counts: { accessible: 5 } });
  });

  it('at concurrency 1 the lines are in input order', async () => {
    const m = fakeMeasure();
    const s = fakeSink();
    const run = runTargets(targets(4), { config: config({ concurrency: 1 }), context: createRunContext(), sink: s.sink, measure: m.measure, probeAddresses: [] });
    for (let i = 0; i < 4; i++) {
      await m.untilStarted(i + 1);
      await settle();
      expect(m.started).toHaveLength(i + 1); // the next one waits for this one
      m.finish(i);
    }
    await run;
    expect(s.lines.map((r) => r.input)).toEqual([0, 1, 2, 3].map(urlOf));
  });

  it('`ready`: no target starts before it settles (start-up checks overlap the first baseline round)', async () => {
    const m = fakeMeasure();
    const s = fakeSink();
    const ready = deferred<void>();
    const run = runTargets(targets(2), { config: config({ concurrency: 2 }), context: createRunContext(), sink: s.sink, measure: m.measure, probeAddresses: [], ready: ready.promise });
    await settle();
    await settle();
    expect(m.started).toEqual([]);
    ready.resolve();
    await m.untilStarted(2);
    m.finish(0);
    m.finish(1);
    expect((await run).measured).toBe(2);
  });

  it('never has more than `concurrency` measurements in flight, and starts the next one as one ends', async () => {
    const m = fakeMeasure();
    const s = fakeSink();
    const run = runTargets(targets(10), { config: config({ concurrency: 3 }), context: createRunContext(), sink: s.sink, measure: m.measure, probeAddresses: [] });
    await m.untilStarted(3);
    await settle();
    expect(m.started).toEqual([0, 1, 2]);
    // Finish them out of order; each end lets exactly one more start.
    const order = [1, 0, 3, 2, 5, 4, 7, 6, 9, 8];
    for (const [k, i] of order.entries()) {
      m.finish(i);
      await s.untilLines(k + 1);
      await m.untilStarted(Math.min(10, k + 4));
      await settle();
      expect(m.started).toHaveLength(Math.min(10, k + 4));
    }
    const summary = await run;
    expect(m.maxInFlight()).toBe(3);
    expect(m.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.lines).toHaveLength(10);
    expect(summary.measured).toBe(10);
  });

  it('more workers than targets: one measurement per target', async () => {
    const m = fakeMeasure();
    const s = fakeSink();
    const run = runTargets(targets(2), { config: config({ concurrency: 64 }), context: createRunContext(), sink: s.sink, measure: m.measure, probeAddresses: [] });
    await m.untilStarted(2);
    m.finish(0);
    m.finish(1);
    await run;
    expect(m.started).toEqual([0, 1]);
    expect(s.lines).toHaveLength(2);
  });

  it('a measurement that throws gives its target one internal-error line and an error event; the others are measured', async () => {
    const m = fakeMeasure();
    const s = fakeSink();
    const events: RunEvent[] = [];
    const run = runTargets(targets(4), { config: config({ concurrency: 2 }), context: createRunContext(), sink: s.sink, measure: m.measure, probeAddresses: [], onEvent: (e) => void events.push(e) });
    await m.untilStarted(2);
    m.fail(1, new TypeError('boom: a bug'));
    await s.untilLines(1);
    await m.untilStarted(3); // the worker goes on with the next target
    m.finish(0);
    await m.untilStarted(4);
    m.finish(2);
    m.finish(3);
    const summary = await run;
    expect(summary).toMatchObject({ measured: 4, errors: 1, interrupted: false, counts: { accessible: 3, inconclusive: 1 } });
    expect(s.lines.map((r) => r.input).sort()).toEqual([0, 1, 2, 3].map(urlOf));
    const bad = s.lines.filter((r) => r.control.failure === INTERNAL_ERROR_FAILURE);
    expect(bad.map((r) => r.input)).toEqual([urlOf(1)]);
    expect(validateRecord(bad[0])).toEqual({ ok: true });
    expect(bad[0]?.verdict.status).toBe('inconclusive');
    expect(bad[0]?.verdict.reasons[0]).toMatch(/TypeError: boom: a bug/);
    expect(events.filter((e) => e.kind === 'error')).toEqual([{ kind: 'error', index: 1, target: urlOf(1), message: 'boom: a bug' }]);
  });

  it('after the signal aborts no target starts, and lines of measurements in flight are not written', async () => {
    const m = fakeMeasure();
    const s = fakeSink();
    const ac = new AbortController();
    const run = runTargets(targets(6), { config: config({ concurrency: 2 }), context: createRunContext(), sink: s.sink, measure: m.measure, probeAddresses: [], signal: ac.signal });
    await m.untilStarted(2);
    m.finish(0); // finished before the abort: kept
    await s.untilLines(1);
    await m.untilStarted(3);
    ac.abort();
    // The measurements in flight end (the real one fails its pending steps as `interrupted`).
    m.finish(1);
    m.finish(2);
    const summary = await run;
    expect(m.started).toEqual([0, 1, 2]);
    expect(m.signals.every((sig) => sig === ac.signal)).toBe(true);
    expect(s.lines.map((r) => r.input)).toEqual([urlOf(0)]);
    expect(summary).toMatchObject({ measured: 1, total: 6, interrupted: true, errors: 0 });
  });

  it('an aborted measurement that throws is dropped too, not an internal error', async () => {
    const m = fakeMeasure();
    const s = fakeSink();
    const ac = new AbortController();
    const run = runTargets(targets(3), { config: config({ concurrency: 1 }), context: createRunContext(), sink: s.sink, measure: m.measure, probeAddresses: [], signal: ac.signal });
    await m.untilStarted(1);
    ac.abort();
    m.fail(0, new Error('aborted'));
    const summary = await run;
    expect(s.lines).toEqual([]);
    expect(summary).toMatchObject({ measured: 0, errors: 0, interrupted: true });
  });

  it('--rate-limit: every start waits for its slot of the start gate (injected clock and sleep)', async () => {
    const m = fakeMeasure();
    const s = fakeSink();
    const sleeps: { ms: number; d: Deferred<void> }[] = [];
    const slept = conditions();
    const run = runTargets(targets(4), {
      config: config({ concurrency: 3, rateLimit: 4 }), context: createRunContext(), sink: s.sink, measure: m.measure, probeAddresses: [],
      startGateClock: {
        now: () => 0, // time stands still: each slot is a sleep the test ends
        sleep: (ms) => {
          const d = deferred<void>();
          sleeps.push({ ms, d });
          slept.notify();
          return d.promise;
        },
      },
    });
    await m.untilStarted(1); // the first slot is at once
    await slept.until(() => sleeps.length === 2);
    await settle();
    expect(m.started).toEqual([0]); // the two other workers wait for their slots
    expect(sleeps.map((x) => x.ms)).toEqual([250, 500]); // 1000/4 ms apart
    sleeps[0]?.d.resolve();
    await m.untilStarted(2);
    await settle();
    expect(m.started).toEqual([0, 1]);
    m.finish(0); // this worker's next start gets the slot after the pending one
    await slept.until(() => sleeps.length === 3);
    expect(sleeps[2]?.ms).toBe(750);
    sleeps[1]?.d.resolve();
    await m.untilStarted(3);
    sleeps[2]?.d.resolve();
    await m.untilStarted(4);
    for (const i of [1, 2, 3]) m.finish(i);
    await run;
    expect(m.started).toEqual([0, 1, 2, 3]);
    expect(s.lines).toHaveLength(4);
  });
});
