/**
 * The measurement clock: seconds since the measurement's zero time (docs/architecture.md convention 4;
 * OONI `measurexlite.Trace` takes a `timeNowFn` for the same reason).
 */
import { performance } from 'node:perf_hooks';

/**
 * Clock: the one source of `t0`/`t` for observations.
 *
 * `now()` returns float **seconds** since the clock's zero time. It is monotonic (never goes
 * backwards) and is injected into every primitive so tests can substitute a fake.
 */
export interface Clock {
  /** Seconds (float) elapsed since zero time. */
  now(): number;
}

/**
 * createClock returns a monotonic {@link Clock} (backed by `performance.now()`) whose zero time is
 * the moment of the call. Never throws.
 */
export function createClock(): Clock {
  const zero = performance.now();
  return { now: () => (performance.now() - zero) / 1000 };
}
