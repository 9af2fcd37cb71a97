/**
 * residual: the middlebox's stateful actions (docs/throttling.md "Residual blocking"): a censor
 * that, once triggered, resets every new connection to the same destination for a while (the GFW's
 * residual censorship lasts about 90 s), and one that resets a connection on its first application
 * data after a completed TLS handshake, whatever the name.
 */
import { Transform, type TransformCallback } from 'node:stream';

const until = new WeakMap<object, number>();

/** startResidual blocks `dst` (compared by identity: the middlebox keeps one object per destination) for `ms` milliseconds from now. */
export function startResidual(dst: object, ms: number): void {
  until.set(dst, Date.now() + ms);
}

/** residualBlocked: true while `dst` is under residual blocking. */
export function residualBlocked(dst: object): boolean {
  return (until.get(dst) ?? 0) > Date.now();
}

/** TLS record content type of application data (RFC 8446 section 5.1). */
const APPLICATION_DATA = 23;
const HANDSHAKE = 22;

/**
 * createResetOnData: a client-to-server transform that follows the TLS record layer from the start
 * of the connection (`replayed`: the bytes already buffered for inspection are counted first) and
 * calls `reset` instead of passing on the record that carries the client's first application data:
 * the second application_data record in TLS 1.3 (the first one carries the client's Finished).
 * A stream that does not start with a TLS handshake record is reset on its first bytes.
 */
export function createResetOnData(replayed: Buffer, reset: () => void): Transform {
  let pending = Buffer.alloc(0);
  let appRecords = 0;
  let fired = false;
  let notTls = replayed.length > 0 && replayed[0] !== HANDSHAKE;
  const scan = (bytes: Buffer): boolean => {
    if (notTls) return true;
    pending = Buffer.concat([pending, bytes]);
    while (pending.length >= 5) {
      const type = pending[0] as number;
      const len = pending.readUInt16BE(3);
      if (type === APPLICATION_DATA && ++appRecords >= 2) return true;
      if (pending.length < 5 + len) break;
      pending = pending.subarray(5 + len);
    }
    return false;
  };
  // The replayed ClientHello never contains application data: only advance the parser over it.
  if (!notTls) scan(replayed);
  else notTls = true;
  let primed = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      if (fired) return cb();
      // The first chunk written is the replayed buffer itself (DpiConnection.splice writes it first).
      if (!primed && replayed.length > 0 && chunk.equals(replayed)) {
        primed = true;
        if (notTls) {
          fired = true;
          setImmediate(reset);
          return cb();
        }
        return cb(null, chunk);
      }
      primed = true;
      if (scan(chunk)) {
        fired = true;
        setImmediate(reset);
        return cb();
      }
      cb(null, chunk);
    },
  });
}
