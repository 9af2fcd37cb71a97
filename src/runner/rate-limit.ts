/**
 * `--rate-limit N`: at most N targets started per second, evenly spaced (one start every 1000/N ms),
 * whatever the concurrency. Clock and sleep are injectable for tests.
 */

/** Waits for the next start slot; resolves at once when aborted. */
export type StartGate = (signal?: AbortSignal) => Promise<void>;

/** Options of {@link createStartGate}. */
export interface StartGateOptions {
  /** Targets per second (> 0). */
  perSecond: number;
  /** Monotonic ms. */
  now?: () => number;
  /** Resolves after `ms` (or when `signal` aborts). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * createStartGate returns a gate that each worker awaits before starting a target: slots are
 * handed out in call order, `1000 / perSecond` ms apart, the first one at once.
 */
export function createStartGate(o: StartGateOptions): StartGate {
  const now = o.now ?? (() => performance.now());
  const sleep = o.sleep ?? realSleep;
  const spacing = 1000 / o.perSecond;
  let next = Number.NEGATIVE_INFINITY;
  return async (signal) => {
    const t = now();
    const slot = Math.max(t, next);
    next = slot + spacing;
    if (slot > t) await sleep(slot - t, signal);
  };
}
