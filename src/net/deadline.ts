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
 * throws RangeError: programmer error) and links `parent` when given.
 */
export function createDeadline(operation: Operation, timeoutMs: number, parent?: AbortSignal): Deadline {
  if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) throw new RangeError(`invalid timeout ${timeoutMs} ms for ${operation}`);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new OperationTimeoutError(operation, timeoutMs)), timeoutMs);
  const onParentAbort = (): void => controller.abort(parent?.reason);
  if (parent !== undefined) {
    if (parent.aborted) onParentAbort();
    else parent.addEventListener('abort', onParentAbort, { once: true });
  }
  const aborted = new Promise<never>((_resolve, reject) => {
    if (controller.signal.aborted) reject(controller.signal.reason);
    else controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  return {
    signal: controller.signal,
    aborted,
    clear(): void {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
