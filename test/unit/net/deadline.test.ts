/**
 * createDeadline: the timer, the parent signal, and the lazily made `signal` (read before or after
 * the deadline fired). Fake timers: no real waiting.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDeadline } from '../../../src/net/deadline.js';
import { OperationTimeoutError } from '../../../src/net/failure.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createDeadline', () => {
  it('rejects `aborted` with an OperationTimeoutError naming the step when the time is up, and a signal read afterwards is aborted with it', async () => {
    const d = createDeadline('connect', 1500);
    const seen = d.aborted.catch((e: unknown) => e);
    vi.advanceTimersByTime(1500);
    const reason = await seen;
    expect(reason).toBeInstanceOf(OperationTimeoutError);
    expect(reason).toMatchObject({ operation: 'connect', timeoutMs: 1500 });
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBe(reason);
  });

  it('aborts a signal read before the deadline when it fires', () => {
    const d = createDeadline('tls_handshake', 100);
    const { signal } = d;
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(100);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(OperationTimeoutError);
  });

  it("follows the parent's abort, also when the parent was aborted already", async () => {
    const parent = new AbortController();
    const d = createDeadline('resolve', 10_000, parent.signal);
    const seen = d.aborted.catch((e: unknown) => e);
    parent.abort(new Error('stop'));
    expect(await seen).toMatchObject({ message: 'stop' });
    const late = createDeadline('resolve', 10_000, parent.signal);
    expect(await late.aborted.catch((e: unknown) => e)).toMatchObject({ message: 'stop' });
    expect(late.signal.aborted).toBe(true);
  });

  it('never fires after clear(), neither from the timer nor from the parent', async () => {
    const parent = new AbortController();
    const d = createDeadline('http_round_trip', 50, parent.signal);
    let settled = false;
    d.aborted.catch(() => {
      settled = true;
    });
    d.clear();
    vi.advanceTimersByTime(1000);
    parent.abort();
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(d.signal.aborted).toBe(false);
  });

  it('throws RangeError on a negative or infinite timeout', () => {
    expect(() => createDeadline('connect', -1)).toThrow(RangeError);
    expect(() => createDeadline('connect', Infinity)).toThrow(RangeError);
  });
});
