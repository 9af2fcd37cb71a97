/**
 * A JSON POST to a service of ours (the test helper): the one place outside `net/http.ts` that
 * speaks HTTP through undici, so that undici stays inside `net/` (docs/architecture.md). Unlike a
 * measurement step, this is a client of a trusted-by-configuration service: pooled agents, the
 * system's CA roots plus any extra CA, a bounded answer.
 */
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';

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

const agents = new Map<string, Agent>();

/**
 * One undici Agent per (timeout, extra CA set), shared by every call of the process: an Agent per
 * call allocated a connection pool for each target, a tenth of the probe's allocations
 * (`npm run bench`). Each call still uses its own connection (`reset: true`), so no call meets a
 * kept-alive socket the server has closed. Bounded: at most 16 agents.
 */
function agentFor(timeoutMs: number, extraCa: string[] | undefined): Agent {
  const key = `${timeoutMs}\n${(extraCa ?? []).join('\n')}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    if (agents.size >= 16) agents.clear(); // a cleared Agent finishes its requests and is collected
    agent = new Agent({
      connect: extraCa && extraCa.length > 0 ? { ca: [...rootCertificates, ...extraCa] } : {},
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    agents.set(key, agent);
  }
  return agent;
}

/**
 * postJson POSTs `body` (already JSON text) to `url` (http or https) and reads the answer.
 *
 * @returns `{status, text}` for any HTTP answer
 * @throws the transport error (undici/Node, with its `code`) or an AbortError/TimeoutError when
 *   `signal` or the timeout fires, or an Error when the answer exceeds `maxResponseBytes`; callers
 *   classify it with `classifyError` (net/failure.ts).
 */
export async function postJson(url: string, body: string, opts: PostJsonOptions): Promise<PostJsonAnswer> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const res = await request(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'user-agent': opts.userAgent ?? 'censorprobe' },
    dispatcher: agentFor(opts.timeoutMs, opts.extraCa),
    reset: true,
    signal,
  });
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > opts.maxResponseBytes) {
      res.body.destroy();
      throw new Error(`answer larger than ${opts.maxResponseBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return { status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') };
}
