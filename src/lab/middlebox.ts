/**
 * middlebox: the censor's userspace DPI box. nftables DNATs the probe's TCP connections to a
 * rule's destination `ip:port` onto one of the middlebox's listening ports; each port stands for
 * one real destination. The middlebox buffers the first client bytes (reassembling a TLS
 * ClientHello to read the SNI, or the HTTP request head to read Host) and evaluates the rules for
 * that destination in order; the first match fixes the connection's fate (docs/lab.md).
 * Without a match it splices the connection to the real destination (connecting from the world
 * namespace, which is uncensored).
 *
 * Actions are a table keyed by name (`DPI_ACTIONS`), each receiving the connection and the rule's
 * action object, so parameterised actions (delay, rate limit, freeze after N bytes) are new rows
 * that splice through a transform, without changing the matching.
 */
import net from 'node:net';
import type { Transform } from 'node:stream';
import { parseClientHello, type ClientHelloParse } from './client-hello.js';
import { looksLikeHttpRequest, parseRequestHead } from './http-head.js';
import type { DpiAction, DpiActionName, DpiActionSpec, DpiMatch } from './scenario.js';
import { createDelay, createFreezeAfter, createRateLimit } from './shapers.js';
import { createResetOnData, residualBlocked, startResidual } from './residual.js';

/** How long the middlebox waits for the deciding bytes before it gives up inspecting, ms. */
export const INSPECT_TIMEOUT_MS = 1000;
/** Most client bytes buffered for inspection, bytes (netem inspects only the first 10 packets). */
export const INSPECT_MAX_BYTES = 16 * 1024;
/** The injected response head (docs/lab.md: no headers at all). */
export const INJECTED_HEAD = 'HTTP/1.0 200 OK\r\n\r\n';

/** MiddleboxRule: one DPI rule as the middlebox runs it. */
export interface MiddleboxRule {
  match: DpiMatch;
  action: DpiAction;
}

/** MiddleboxPort: one listening port standing for one real destination, with that destination's rules in order. */
export interface MiddleboxPort {
  /** Address to listen on (the world side of the veth). */
  address: string;
  port: number;
  /** The real destination this port stands for. */
  dst: { ip: string; port: number };
  rules: MiddleboxRule[];
}

/** DpiConnection: what an action works with. */
export interface DpiConnection {
  /** The probe's socket (its peer sees the real destination's address, thanks to conntrack). */
  client: net.Socket;
  /** The not-yet-used connection to the real destination (paused). */
  upstream: net.Socket;
  /** Every client byte buffered so far. */
  buffered: Buffer;
  /** The 188-byte blockpage body. */
  blockpage: Buffer;
  /** The real destination (its residual-blocking state is kept per destination). */
  dst: { ip: string; port: number };
  /**
   * Joins client and upstream, replaying `buffered`; optional shapers sit on the client-to-server
   * (`up`) and server-to-client (`down`) paths.
   */
  splice(shapers?: { up?: Transform; down?: Transform }): void;
}

/** DpiActionHandler: applies one action (with its parameters) to a matched connection. */
export type DpiActionHandler<A extends DpiActionSpec = DpiActionSpec> = (conn: DpiConnection, action: A) => void;

/** DpiActionTable: one handler per action name, each receiving its own parameter shape. */
export type DpiActionTable = { [K in DpiActionName]: DpiActionHandler<Extract<DpiActionSpec, { type: K }>> };

function swallow(socket: net.Socket): void {
  socket.on('data', () => undefined);
}

/** DPI_ACTIONS: the action table (docs/lab.md, client-side outcomes of section 13 item 5). */
export const DPI_ACTIONS: DpiActionTable = {
  /** RST toward the client: `connection_reset`. */
  reset: ({ client, upstream }) => {
    upstream.destroy();
    client.resetAndDestroy();
  },
  /** FIN toward the client: `eof_error`. */
  close: ({ client, upstream }) => {
    upstream.destroy();
    swallow(client);
    client.end();
  },
  /** Silence with the connection kept open: the client's own timeout fires. */
  blackhole: ({ client, upstream }) => {
    upstream.destroy();
    swallow(client);
  },
  /** `HTTP/1.0 200 OK\r\n\r\n` + the blockpage, then FIN (docs/lab.md). */
  inject_blockpage: ({ client, upstream, blockpage }) => {
    upstream.destroy();
    swallow(client);
    client.end(Buffer.concat([Buffer.from(INJECTED_HEAD, 'latin1'), blockpage]));
  },
  /** Splice with every chunk held `ms` in both directions (added latency). */
  delay: (conn, { ms }) => conn.splice({ up: createDelay(ms), down: createDelay(ms) }),
  /** Splice with the server-to-client direction limited to `bytes_per_second` (throttling). */
  rate_limit: (conn, a) => conn.splice({ down: createRateLimit(a.bytes_per_second) }),
  /** Splice, then stall after `bytes` server-to-client bytes (freeze). */
  freeze_after: (conn, { bytes }) => conn.splice({ down: createFreezeAfter(bytes) }),
  /** RST, then every new connection to the destination is reset for `ms` (residual blocking). */
  reset_residual: ({ client, upstream, dst }, { ms }) => {
    startResidual(dst, ms);
    upstream.destroy();
    client.resetAndDestroy();
  },
  /** Splice; RST on the client's first application data after the TLS handshake. */
  reset_on_data: (conn) => conn.splice({ up: createResetOnData(conn.buffered, () => {
    conn.upstream.destroy();
    if (!conn.client.destroyed) conn.client.resetAndDestroy();
  }) }),
};

function dispatch(conn: DpiConnection, action: DpiActionSpec): void {
  // Each handler receives its own parameter shape; the table's mapped type guarantees the pairing.
  (DPI_ACTIONS[action.type] as DpiActionHandler)(conn, action);
}

type Tri = 'match' | 'no' | 'undecided';

interface Facts {
  tls: ClientHelloParse;
  host: string | null | undefined; // undefined: head not complete
  bytes: Buffer;
  complete: boolean;
}

/** matchRule decides one rule against what was seen so far (every given field must match). */
function matchRule(match: DpiMatch, f: Facts): Tri {
  const results: Tri[] = [];
  if (match.sni !== undefined) {
    if (f.tls.state === 'done') results.push(f.tls.sni === match.sni ? 'match' : 'no');
    else if (f.tls.state === 'not_tls' || f.complete) results.push('no');
    else results.push('undecided');
  }
  if (match.host !== undefined) {
    if (f.host !== undefined) results.push(f.host === match.host.toLowerCase() ? 'match' : 'no');
    else results.push(f.complete ? 'no' : 'undecided');
  }
  if (match.sni_contains !== undefined) {
    if (f.tls.state === 'done') results.push(f.tls.sni?.includes(match.sni_contains) === true ? 'match' : 'no');
    else if (f.tls.state === 'not_tls' || f.complete) results.push('no');
    else results.push('undecided');
  }
  if (match.contains !== undefined) {
    if (f.bytes.includes(match.contains)) results.push('match');
    else results.push(f.complete ? 'no' : 'undecided');
  }
  if (results.includes('no')) return 'no';
  if (results.includes('undecided')) return 'undecided';
  return 'match';
}

function gatherFacts(bytes: Buffer, timedOut: boolean): Facts {
  const tls = parseClientHello(bytes);
  const head = tls.state === 'not_tls' ? parseRequestHead(bytes) : null;
  const host = head === null ? undefined : head === 'invalid' ? null : head.host;
  const done =
    tls.state === 'done' ||
    (tls.state === 'not_tls' && (head !== null || !looksLikeHttpRequest(bytes))) ||
    bytes.length >= INSPECT_MAX_BYTES;
  return { tls, host, bytes, complete: done || timedOut };
}

function normaliseAction(action: DpiAction): DpiActionSpec {
  return typeof action === 'string' ? { type: action } : action;
}

function handleConnection(client: net.Socket, port: MiddleboxPort, blockpage: Buffer): void {
  if (residualBlocked(port.dst)) {
    client.on('error', () => undefined);
    client.resetAndDestroy();
    return;
  }
  const upstream = net.connect({ host: port.dst.ip, port: port.dst.port });
  upstream.pause();
  let buffered = Buffer.alloc(0);
  let decided = false;
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => {
    if (!client.destroyed) client.resetAndDestroy();
  });

  const conn: DpiConnection = {
    client,
    upstream,
    blockpage,
    dst: port.dst,
    get buffered() {
      return buffered;
    },
    splice(shapers = {}) {
      const { up, down } = shapers;
      if (up) {
        up.on('error', () => upstream.destroy());
        if (buffered.length > 0) up.write(buffered);
        client.pipe(up).pipe(upstream);
      } else {
        if (buffered.length > 0) upstream.write(buffered);
        client.pipe(upstream);
      }
      if (down) {
        down.on('error', () => client.destroy());
        upstream.pipe(down).pipe(client);
      } else {
        upstream.pipe(client);
      }
      upstream.resume();
    },
  };

  const decide = (timedOut: boolean): void => {
    if (decided) return;
    const facts = gatherFacts(buffered, timedOut);
    for (const rule of port.rules) {
      const r = matchRule(rule.match, facts);
      if (r === 'undecided') return;
      if (r === 'match') {
        decided = true;
        clearTimeout(timer);
        client.removeListener('data', onData);
        dispatch(conn, normaliseAction(rule.action));
        return;
      }
    }
    decided = true;
    clearTimeout(timer);
    client.removeListener('data', onData);
    conn.splice();
  };
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    decide(false);
  };
  const timer = setTimeout(() => decide(true), INSPECT_TIMEOUT_MS);
  client.on('data', onData);
  client.on('close', () => {
    clearTimeout(timer);
    upstream.destroy();
  });
}

/** Middlebox: the running middlebox. */
export interface Middlebox {
  /** close stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/**
 * startMiddlebox listens on every port of `ports`. Resolves once all listen; rejects with the first
 * listen error. `blockpage` is the body injected by `inject_blockpage` (188 bytes in docs/lab.md).
 */
export async function startMiddlebox(ports: MiddleboxPort[], blockpage: Buffer): Promise<Middlebox> {
  const sockets = new Set<net.Socket>();
  const servers = await Promise.all(
    ports.map(
      (port) =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer((client) => {
            sockets.add(client);
            client.on('close', () => sockets.delete(client));
            handleConnection(client, port, blockpage);
          });
          server.once('error', reject);
          server.listen({ host: port.address, port: port.port }, () => resolve(server));
        }),
    ),
  );
  return {
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
