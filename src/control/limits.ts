/**
 * limits: the helper's server-level defences (docs/lab.md "Helper limits"): HTTP server timeouts,
 * a connection gate (total and per-client caps, idle connections evicted first), a request-body
 * reader that enforces its byte cap and a deadline WHILE reading, and strict parsing of the
 * reference stream's parameters. Nothing here knows the test-helper protocol.
 *
 * Why each limit exists: a single client must not be able to knock the helper out by holding
 * sockets (idle connections, slowloris headers, one-byte-per-second bodies) or memory (an endless
 * chunked body). Beyond a cap the helper answers 503 at once instead of letting clients time out.
 */
import type http from 'node:http';
import type net from 'node:net';
import { clientKey } from '../model/ip.js';

/**
 * HelperLimits (all optional in {@link resolveLimits}; units in the names).
 * - `maxConnections` (default 2048): open connections in total; beyond it the oldest idle
 *   connection is closed to admit the new one, and when none is idle the new one gets 503.
 *   Kept well below a typical file-descriptor limit (1024-65536) so accept() never fails.
 * - `maxConnectionsPerClient` (default 64): open connections per remote address; beyond it that
 *   client's oldest idle connection is closed, and when none is idle the new one gets 503.
 * - `maxRequestBytes` (default 1 MiB): request body cap; a larger Content-Length or a body that
 *   grows past it is answered 413 at once.
 * - `bodyReadMs` (default 10000 ms): deadline for reading a request body; then 408.
 * - `headersTimeoutMs` (default 10000 ms): Node's `headersTimeout` (slowloris); `requestTimeoutMs`
 *   (default 20000 ms): Node's `requestTimeout` (whole request received);
 *   `keepAliveTimeoutMs` (default 5000 ms): idle keep-alive sockets are closed after it.
 * - `rejectedGraceMs` (default 2000 ms): a connection admitted only to be answered 503 is
 *   destroyed after this long if it sends no request.
 */
export interface HelperLimits {
  maxConnections: number;
  maxConnectionsPerClient: number;
  maxRequestBytes: number;
  bodyReadMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  rejectedGraceMs: number;
}

/** The defaults of {@link HelperLimits}. */
export const DEFAULT_HELPER_LIMITS: Readonly<HelperLimits> = {
  maxConnections: 2048,
  maxConnectionsPerClient: 64,
  maxRequestBytes: 1024 * 1024,
  bodyReadMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  keepAliveTimeoutMs: 5_000,
  rejectedGraceMs: 2_000,
};

/** resolveLimits fills the missing fields of `partial` with {@link DEFAULT_HELPER_LIMITS}. */
export function resolveLimits(partial: Partial<HelperLimits> | undefined): HelperLimits {
  return { ...DEFAULT_HELPER_LIMITS, ...(partial ?? {}) };
}

/**
 * serverOptions: the `http.createServer` options that carry the limits (Node >= 18.0:
 * `headersTimeout`, `requestTimeout`, `keepAliveTimeout`, `connectionsCheckingInterval`, checked
 * every second instead of Node's default 30 s so an expired slowloris socket goes promptly).
 */
export function serverOptions(l: HelperLimits): http.ServerOptions {
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: 1000,
    maxHeaderSize: 16 * 1024,
  };
}

interface ConnState {
  client: string;
  /** Requests in progress on this connection (0 = idle, evictable). */
  busy: number;
  /** Admitted over a cap: its request, if any, is answered 503 and the connection closed. */
  rejected: boolean;
}

/**
 * ConnectionGate tracks every connection of one server. `attach(server)` hooks `connection`;
 * the request handler calls `enter(req, res)` first: it returns `'rejected'` when the connection
 * was admitted over a cap (answer 503 and close), else marks the connection busy until `res`
 * closes. Counters are exposed for tests and the load bench.
 */
export class ConnectionGate {
  private readonly conns = new Map<net.Socket, ConnState>();
  private readonly perClient = new Map<string, number>();
  /** How many idle connections were closed to make room (monotonic). */
  evicted = 0;
  /** How many connections were admitted only to be refused (monotonic). */
  refused = 0;

  constructor(private readonly limits: HelperLimits) {}

  /** Open connections now. */
  get size(): number {
    return this.conns.size;
  }

  /** attach hooks `server`'s `connection` event. */
  attach(server: http.Server): void {
    server.on('connection', (socket: net.Socket) => this.admit(socket));
  }

  private admit(socket: net.Socket): void {
    // An IPv6 client is its /64: one site can use any address in it (model/ip.ts clientKey).
    const client = clientKey(socket.remoteAddress ?? '?');
    const state: ConnState = { client, busy: 0, rejected: false };
    if ((this.perClient.get(client) ?? 0) >= this.limits.maxConnectionsPerClient && !this.evictIdle(client)) state.rejected = true;
    if (!state.rejected && this.conns.size >= this.limits.maxConnections && !this.evictIdle(null)) state.rejected = true;
    if (state.rejected) {
      // Not counted against the caps; it may only carry one request (answered 503), briefly.
      this.refused++;
      socket.setTimeout(this.limits.rejectedGraceMs, () => socket.destroy());
      socket.on('error', () => undefined);
      rejectedSockets.add(socket);
      return;
    }
    this.conns.set(socket, state);
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    socket.once('close', () => {
      if (this.conns.get(socket) !== state) return; // evicted: already counted out
      this.conns.delete(socket);
      const n = (this.perClient.get(client) ?? 1) - 1;
      if (n <= 0) this.perClient.delete(client);
      else this.perClient.set(client, n);
    });
  }

  /** Closes the oldest idle connection (of `client`, or of anyone when null); false when none is idle. */
  private evictIdle(client: string | null): boolean {
    for (const [socket, st] of this.conns) {
      if (st.busy > 0 || (client !== null && st.client !== client)) continue;
      this.conns.delete(socket); // counted out now, not at 'close', so the new one fits at once
      const n = (this.perClient.get(st.client) ?? 1) - 1;
      if (n <= 0) this.perClient.delete(st.client);
      else this.perClient.set(st.client, n);
      socket.destroy();
      this.evicted++;
      return true;
    }
    return false;
  }

  /**
   * enter: call at the start of every request. `'rejected'`: the connection is over a cap (answer
   * 503 with `connection: close`); `'ok'`: the connection is busy until `res` closes.
   */
  enter(req: http.IncomingMessage, res: http.ServerResponse): 'ok' | 'rejected' {
    const st = this.conns.get(req.socket);
    if (st === undefined) return rejectedSockets.has(req.socket) ? 'rejected' : 'ok';
    st.busy++;
    res.once('close', () => {
      st.busy--;
    });
    return 'ok';
  }
}

const rejectedSockets = new WeakSet<net.Socket>();

/** The outcome of {@link readBodyLimited}. */
export type BodyRead =
  | { kind: 'ok'; body: string }
  | { kind: 'too_large' }
  | { kind: 'timeout' }
  | { kind: 'error'; message: string };

/**
 * readBodyLimited reads `req`'s body as UTF-8, at most `capBytes` bytes and within `deadlineMs`.
 * A declared Content-Length over the cap gives `too_large` before anything is read; a body that
 * grows past the cap gives `too_large` as soon as it does (an endless chunked body is never read
 * to its end); the deadline gives `timeout` (one byte per second never holds a slot for long).
 * After `too_large`/`timeout` the rest of the body is discarded unread. Never rejects.
 */
export function readBodyLimited(req: http.IncomingMessage, capBytes: number, deadlineMs: number): Promise<BodyRead> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && (!/^\d{1,15}$/.test(declared) || Number(declared) > capBytes)) {
    req.resume();
    return Promise.resolve({ kind: 'too_large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let done = false;
    const finish = (r: BodyRead): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      if (r.kind !== 'ok') req.resume(); // discard what still comes
      resolve(r);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), deadlineMs);
    const onData = (c: Buffer): void => {
      n += c.length;
      if (n > capBytes) finish({ kind: 'too_large' });
      else chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => finish({ kind: 'ok', body: Buffer.concat(chunks).toString('utf8') }));
    req.once('error', (e) => finish({ kind: 'error', message: e.message }));
    req.once('close', () => finish({ kind: 'error', message: 'connection closed while reading the body' }));
  });
}

/**
 * closeAfter: once `res` has been sent, close its connection (after `graceMs`, so the client can
 * read the answer before unread request bytes make the kernel reset the connection).
 */
export function closeAfter(res: http.ServerResponse, graceMs = 1000): void {
  res.once('finish', () => {
    const s = res.socket ?? res.req.socket;
    s.end();
    setTimeout(() => s.destroy(), graceMs).unref();
  });
}

/**
 * parseStrictBytes: the `bytes` query parameter of the reference stream. Absent → `fallback`;
 * otherwise it must be given once, as plain decimal digits without sign, exponent, fraction,
 * whitespace or leading zero, in `1..max`. Returns the number, or a one-line reason.
 */
export function parseStrictBytes(search: URLSearchParams, fallback: number, max: number): number | string {
  const all = search.getAll('bytes');
  if (all.length === 0) return fallback;
  if (all.length > 1) return 'bytes is given more than once';
  const v = all[0] ?? '';
  if (!/^[1-9][0-9]{0,9}$/.test(v)) return `bytes must be an integer in 1..${max}`;
  const n = Number(v);
  if (n > max) return `bytes must be an integer in 1..${max}`;
  for (const key of search.keys()) if (key !== 'bytes') return `unknown parameter ${JSON.stringify(key.slice(0, 40))}`;
  return n;
}
