/**
 * shapers: stream transforms the DPI middlebox splices through for its parameterised actions
 * (delay, rate limit, freeze after N bytes), i.e. the userspace replacement for netem, which this
 * kernel lacks (docs/lab.md). Each keeps byte order and applies backpressure.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Slice size of the rate limiter: at most this many bytes are released at once, bytes. */
export const RATE_SLICE_MAX_BYTES = 4096;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** createDelay holds every chunk `ms` milliseconds before passing it on (order kept; throws on ms < 0). */
export function createDelay(ms: number): Transform {
  if (!(ms >= 0)) throw new Error(`createDelay: ms must be >= 0, got ${ms}`);
  // One FIFO and one timer: chunks leave in arrival order, and the end (FIN) after the last one.
  // (One timer per chunk is not enough: timers of different durations that expire in the same
  // millisecond fire in no guaranteed order, which reordered bytes and let the FIN overtake data.)
  const queue: { at: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | null = null;
  let flushed: TransformCallback | null = null;
  const pump = (t: Transform): void => {
    timer = null;
    while (queue.length > 0 && (queue[0] as { at: number }).at <= Date.now()) t.push((queue.shift() as { chunk: Buffer }).chunk);
    const head = queue[0];
    if (head !== undefined) timer = setTimeout(() => pump(t), Math.max(0, head.at - Date.now()));
    else if (flushed !== null) {
      const cb = flushed;
      flushed = null;
      cb();
    }
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      queue.push({ at: Date.now() + ms, chunk });
      if (timer === null) timer = setTimeout(() => pump(this), ms);
      cb();
    },
    flush(cb) {
      if (queue.length === 0) cb();
      else flushed = cb;
    },
  });
}

/**
 * createRateLimit lets bytes through at most `bytesPerSecond`, in slices of RATE_SLICE_BYTES or an
 * eighth of a second's worth when smaller (at least 256 bytes), so that a low rate trickles as a
 * policer's does (packets, not one burst every few seconds); throws on a rate < 1.
 */
export function createRateLimit(bytesPerSecond: number): Transform {
  if (!(bytesPerSecond >= 1)) throw new Error(`createRateLimit: bytesPerSecond must be >= 1, got ${bytesPerSecond}`);
  const RATE_SLICE_BYTES = Math.max(256, Math.min(RATE_SLICE_MAX_BYTES, Math.floor(bytesPerSecond / 8)));
  let nextFree = Date.now();
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      void (async () => {
        for (let off = 0; off < chunk.length; off += RATE_SLICE_BYTES) {
          const slice = chunk.subarray(off, off + RATE_SLICE_BYTES);
          const wait = nextFree - Date.now();
          if (wait > 0) await sleep(wait);
          nextFree = Math.max(nextFree, Date.now() - 1000) + (slice.length / bytesPerSecond) * 1000;
          this.push(slice);
        }
        cb();
      })();
    },
  });
}

/** createFreezeAfter passes the first `bytes` bytes, then swallows everything (the stream stays open); throws on bytes < 0. */
export function createFreezeAfter(bytes: number): Transform {
  if (!(bytes >= 0)) throw new Error(`createFreezeAfter: bytes must be >= 0, got ${bytes}`);
  let passed = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      const room = bytes - passed;
      if (room > 0) {
        const out = chunk.subarray(0, room);
        passed += out.length;
        cb(null, out);
        return;
      }
      cb();
    },
    flush() {
      // Never end: a frozen connection stays open until the client gives up.
    },
  });
}
