/**
 * A JSON POST to a service of ours (the test helper): the one place outside `net/http.ts` that
 * speaks HTTP through undici, so that undici stays inside `net/` (docs/architecture.md). Unlike a
 * measurement step, this is a client of a trusted-by-configuration service: pooled agents, the
 * system's CA roots plus any extra CA, a bounded answer.
 */
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from './undici.js';

/** Options of {@link postJson}. */
export interface PostJsonOptions {
  /** Whole exchange budget, ms (headers and body each bounded by it too). */
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM), added to Node's roots; verification is never disabled. */
  extraCa?: string[];
  /** Cap on the answer, bytes; a larger answer rejects with an Error. */
  maxResponseBytes: number;
  signal?: AbortSignal;
  /** The User-Agent header; default `censorprobe`. */
  userAgent?: string;
}

/** The answer of {@link postJson}: HTTP status and the body as UTF-8 text (at most `maxResponseBytes`). */
export interface PostJsonAnswer {
  status: number;
  text: string;
}

/** The agents of one (timeout, extra CA set): kept-alive connections, and fresh ones for a retry. */
interface Agents {
  keepAlive: Agent;
  fresh: Agent;
}

const agents = new Map<string, Agents>();

/**
 * The agents per (timeout, extra CA set), shared by every call of the process: an Agent per call
 * allocated a connection pool for each target, a tenth of the probe's allocations (`npm run
 * bench`). Calls go over kept-alive connections (a connection per call cost both ends a TCP
 * handshake, an accept and a close: about a sixth of the probe's and the helper's CPU per target,
 * `npm run bench`); `fresh` closes every connection after its request (`reset`), so its pool never
 * holds an idle one: the retry of {@link postJson} always gets a new connection. Bounded: at most
 * 16 keys.
 */
function agentsFor(timeoutMs: number, extraCa: string[] | undefined): Agents {
  const key = `${timeoutMs}\n${(extraCa ?? []).join('\n')}`;
  let pair = agents.get(key);
  if (pair === undefined) {
    if (agents.size >= 16) agents.clear(); // a cleared Agent finishes its requests and is collected
    const options: Agent.Options = {
      connect: extraCa && extraCa.length > 0 ? { ca: [...rootCertificates, ...extraCa] } : {},
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    };
    pair = { keepAlive: new Agent(options), fresh: new Agent(options) };
    agents.set(key, pair);
  }
  return pair;
}

/**
 * Transport errors of a request that may have been sent on a kept-alive connection the server
 * had just closed (a server may close an idle connection at any time, RFC 9112 section 9.6; our
 * helper evicts idle ones beyond its per-client cap): the connection reset, a write to a closed
 * socket, undici's "other side closed". Such a request is tried once more on a new connection.
 */
const STALE_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/**
 * postJson POSTs `body` (already JSON text) to `url` (http or https) and reads the answer.
 *
 * The request goes over a kept-alive connection when one is idle. When it fails before the
 * answer's head with one of {@link STALE_CONNECTION_CODES} (the server closed that connection as
 * the request went out), it is sent once more on a new connection, within the same budget: a
 * test-helper request only asks for a measurement, so repeating it is harmless. A failure of the
 * new connection is the answer (a path that resets every connection fails twice).
 *
 * @returns `{status, text}` for any HTTP answer
 * @throws the transport error (undici/Node, with its `code`) or an AbortError/TimeoutError when
 *   `signal` or the timeout fires, or an Error when the answer exceeds `maxResponseBytes`; callers
 *   classify it with `classifyError` (net/failure.ts).
 */
export async function postJson(url: string, body: string, opts: PostJsonOptions): Promise<PostJsonAnswer> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const pair = agentsFor(opts.timeoutMs, opts.extraCa);
  const target = new URL(url);
  const request: Dispatcher.DispatchOptions = {
    origin: target.origin,
    path: `${target.pathname}${target.search}`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'user-agent': opts.userAgent ?? 'censorprobe' },
  };
  const first = { answered: false };
  try {
    return await exchange(pair.keepAlive, { ...request, reset: false }, signal, opts.maxResponseBytes, first);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (first.answered || signal.aborted || typeof code !== 'string' || !STALE_CONNECTION_CODES.has(code)) throw err;
    return exchange(pair.fresh, { ...request, reset: true }, signal, opts.maxResponseBytes, { answered: false });
  }
}

/**
 * One request through `dispatcher`, read whole (at most `cap` bytes) with a plain dispatch handler
 * (undici@7 lib/handler/unwrap-handler.js API): no response stream, no async iteration per answer.
 * Sets `state.answered` when the answer's head arrived. Rejects with the transport error, the
 * signal's reason, or an Error when the answer exceeds `cap`.
 */
function exchange(dispatcher: Agent, options: Dispatcher.DispatchOptions, signal: AbortSignal, cap: number, state: { answered: boolean }): Promise<PostJsonAnswer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let controller: Dispatcher.DispatchController | null = null;
    let status = 0;
    let n = 0;
    const chunks: Buffer[] = [];
    const onAbort = (): void => controller?.abort(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    signal.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => signal.removeEventListener('abort', onAbort);
    dispatcher.dispatch(options, {
      onRequestStart(c) {
        controller = c;
        if (signal.aborted) onAbort();
      },
      onResponseStart(_c, statusCode) {
        state.answered = true;
        status = statusCode;
      },
      onResponseData(c, chunk) {
        n += chunk.length;
        if (n > cap) {
          c.abort(new Error(`answer larger than ${cap} bytes`));
          return;
        }
        chunks.push(chunk);
      },
      onResponseEnd() {
        finish();
        resolve({ status, text: Buffer.concat(chunks).toString('utf8') });
      },
      onResponseError(_c, err) {
        finish();
        reject(signal.aborted ? signal.reason : err);
      },
    });
  });
}
