/**
 * tcpConnect: one TCP connect to one `IP:PORT`, recorded as OONI's `tcp_connect[]` entry
 * (spec df-005-tcpconnect; docs/measurement-model.md step 6: 10 s timeout per flow).
 */
import net from 'node:net';
import { classifyError } from './failure.js';
import { createDeadline } from './deadline.js';
import type { Clock } from './clock.js';
import type { Failure } from '../model/failure.js';
import type { TcpConnectObservation } from '../model/observations.js';

/** Default TCP connect timeout in ms (OONI LTE: 10 s per flow). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * TcpConnectOptions.
 * - `clock` (required); `timeoutMs` (optional, default 10000 ms);
 * - `transactionId`, `depth` (required); `tags` (optional, written as given; add `depth=N` yourself
 *   or let the flow do it: tcpConnect writes `tags` verbatim);
 * - `localAddress` (optional): source address to bind; `signal` (optional): abort → interrupted.
 */
export interface TcpConnectOptions {
  clock: Clock;
  timeoutMs?: number;
  transactionId: number;
  depth: number;
  tags?: string[];
  localAddress?: string;
  signal?: AbortSignal;
}

/** The result of {@link tcpConnect}: the observation, and the connected socket (null on failure). */
export interface TcpConnectResult {
  observation: TcpConnectObservation;
  socket: net.Socket | null;
}

/**
 * tcpConnect connects to `ip`:`port` (an IP literal; names are never resolved here).
 *
 * Resolves to the observation (`status.success`, `status.failure`, `failure_detail` = raw code)
 * and the socket on success (the caller owns and must close it). Failures: classified by
 * `classifyError(err, 'connect')` (ECONNREFUSED → connection_refused, EHOSTUNREACH →
 * host_unreachable, ...); `timeoutMs` elapsed → generic_timeout_error; `signal` aborted →
 * interrupted. The socket is destroyed on failure; on success it carries a no-op `error`
 * listener (so a reset before the next step cannot crash the process). Never rejects for network failures; throws
 * on a non-IP `ip` or a bad port (programmer error).
 */
export function tcpConnect(ip: string, port: number, opts: TcpConnectOptions): Promise<TcpConnectResult> {
  if (net.isIP(ip) === 0) throw new TypeError(`tcpConnect: not an IP literal: ${ip}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`tcpConnect: bad port ${port}`);
  const { clock } = opts;
  const t0 = clock.now();
  const deadline = createDeadline('connect', opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, opts.signal);
  return new Promise((resolve) => {
    let settled = false;
    const socket = net.connect({ host: ip, port, ...(opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {}) });
    const settle = (failure: Failure | null, detail: string | null): void => {
      if (settled) return;
      settled = true;
      deadline.clear();
      socket.removeListener('error', onError);
      // A no-op error listener stays attached: an RST between this step and the next must not
      // crash the process; the next step (TLS, HTTP) observes the failure itself.
      socket.on('error', () => undefined);
      if (failure !== null) socket.destroy();
      resolve({
        observation: {
          ip,
          port,
          status: { success: failure === null, failure },
          failure_detail: detail,
          t0,
          t: clock.now(),
          transaction_id: opts.transactionId,
          depth: opts.depth,
          tags: [...(opts.tags ?? [])],
        },
        socket: failure === null ? socket : null,
      });
    };
    const onError = (err: Error): void => {
      const c = classifyError(err, 'connect');
      settle(c.failure, c.detail);
    };
    socket.once('error', onError);
    socket.once('connect', () => settle(null, null));
    deadline.aborted.catch((reason: unknown) => onError(reason as Error));
  });
}
