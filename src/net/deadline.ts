/**
 * Deadline: one operation's time budget combined with the caller's AbortSignal (docs/architecture.md
 * convention 5: each step gets its own AbortSignal timeout; the failure names the step).
 */
import { OperationTimeoutError } from './failure.js';
import type { Operation } from '../model/failure.js';

/**
 * Deadline for one operation.
 * - `signal` aborts when `timeoutMs` elapses (reason: {@link OperationTimeoutError}, classified as
 *   `generic_timeout_error`) or when the parent signal aborts (reason: the parent's reason,
 *   classified as `interrupted` unless it is a `TimeoutError`).
 * - `aborted` rejects with `signal.reason` when the signal aborts (never resolves); it has a no-op
 *   catch attached, so it never causes an unhandled rejection.
 * - `clear()` stops the timer and detaches from the parent; call it when the operation ends.
 */
export interface Deadline {
  signal: AbortSignal;
  aborted: Promise<never>;
  clear(): void;
}

/**
 * createDeadline starts the timer for `operation` (`timeoutMs` in ms, must be >= 0, else it
 * throws RangeError: programmer error) and links `parent` when given. The AbortController behind
 * `signal` is made only when `signal` is read (most steps only race `aborted`; an AbortSignal is
 * a costly object to make for every step of every target, `npm run bench`); read after the
 * deadline fired, it is already aborted with the same reason.
 */
export function createDeadline(operation: Operation, timeoutMs: number, parent?: AbortSignal): Deadline {
  if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) throw new RangeError(`invalid timeout ${timeoutMs} ms for ${operation}`);
  let fired = false;
  let reason: unknown;
  let controller: AbortController | null = null;
  let rejectAborted: (reason: unknown) => void = () => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    rejectAborted = reject;
  });
  aborted.catch(() => undefined);
  const fire = (why: unknown): void => {
    if (fired) return;
    fired = true;
    reason = why;
    controller?.abort(why);
    rejectAborted(why);
  };
  const timer = setTimeout(() => fire(new OperationTimeoutError(operation, timeoutMs)), timeoutMs);
  const onParentAbort = (): void => fire(parent?.reason);
  if (parent !== undefined) {
    if (parent.aborted) onParentAbort();
    else parent.addEventListener('abort', onParentAbort, { once: true });
  }
  return {
    get signal(): AbortSignal {
      if (controller === null) {
        controller = new AbortController();
        if (fired) controller.abort(reason);
      }
      return controller.signal;
    },
    aborted,
    clear(): void {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
