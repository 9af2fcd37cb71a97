/**
 * Client side of the test-helper protocol (docs/helper-protocol.md): POST a {@link ThRequest}
 * to a helper and turn the answer into a {@link ControlRecord}. Never throws for network or protocol
 * failures: they become `ControlRecord.failure` (our vocabulary), as OONI sets `control_failure`.
 */
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import type { ControlRecord, ThRequest, ThResponse } from '../model/index.js';
import type { Clock } from '../net/index.js';
import { classifyError, DEFAULT_REQUEST_HEADERS, formatEndpoint } from '../net/index.js';
import { parseThAnswer } from './th-answer.js';

export { DEFAULT_CONTROL_TIMEOUT_MS } from '../flows/defaults.js';

/** Options of {@link queryHelper}. */
export interface QueryHelperOptions {
  clock: Clock;
  /** Whole exchange budget in ms; the CLI's default is DEFAULT_CONTROL_TIMEOUT_MS (60000). */
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM) for an https helper, added to Node's roots. */
  extraCa?: string[];
  /** Cap on the helper's answer in bytes. Default 8 MiB. */
  maxResponseBytes?: number;
  signal?: AbortSignal;
}

/**
 * Builds the request the probe sends: the URL, OONI's three forwarded headers, and for every
 * address the probe resolved `ip:443` and `ip:80`, or `ip:PORT` when the URL has an explicit port
 * (OONI LTE `control.go`).
 *
 * @param url normalised target URL
 * @param addresses IPv4/IPv6 addresses the probe resolved at depth 0
 */
export function buildThRequest(url: string, addresses: string[]): ThRequest {
  const parsed = new URL(url);
  const ports = parsed.port !== '' ? [parsed.port] : ['443', '80'];
  const endpoints: string[] = [];
  for (const ip of addresses) {
    for (const port of ports) endpoints.push(formatEndpoint(ip, Number(port)));
  }
  const headers: Record<string, string[]> = {};
  for (const name of ['Accept', 'Accept-Language', 'User-Agent']) {
    const v = DEFAULT_REQUEST_HEADERS[name];
    if (v !== undefined) headers[name] = [v];
  }
  return { http_request: url, http_request_headers: headers, tcp_connect: [...new Set(endpoints)], x_quic_enabled: false };
}

const agents = new Map<string, Agent>();

/**
 * One undici Agent per (timeout, extra CA set), shared by every query of the process: an Agent
 * per query allocated a connection pool (and its request queues) for each target, about a tenth of
 * all the probe's allocations (`npm run bench`). Each query still uses its own connection
 * (`reset: true`), as before, so no query ever meets a kept-alive socket the helper has closed.
 */
function agentFor(timeoutMs: number, extraCa: string[] | undefined): Agent {
  const key = `${timeoutMs}\n${(extraCa ?? []).join('\n')}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    if (agents.size >= 16) agents.clear(); // bounded; a cleared Agent finishes its requests and is collected
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
 * Sends `req` to the helper at `helperUrl` (http or https) and returns the control record.
 *
 * @returns a record with `source: 'helper'`; `failure` is null on success, else a failure string
 *   (`generic_timeout_error`, `connection_refused`, ..., or `unknown_failure: helper answered HTTP 503`,
 *   `unknown_failure: helper answered invalid JSON`).
 */
export async function queryHelper(helperUrl: string, req: ThRequest, opts: QueryHelperOptions): Promise<ControlRecord> {
  const t0 = opts.clock.now();
  const base: ControlRecord = { source: 'helper', address: helperUrl, request: req, response: null, failure: null, dns_reference: null, t0, t: t0 };
  const dispatcher = agentFor(opts.timeoutMs, opts.extraCa);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    const res = await request(helperUrl, {
      method: 'POST',
      body: JSON.stringify(req),
      headers: { 'content-type': 'application/json', 'user-agent': 'censorprobe' },
      dispatcher,
      reset: true,
      signal,
    });
    const text = await readCapped(res.body, opts.maxResponseBytes ?? 8 * 1024 * 1024);
    if (res.statusCode !== 200) {
      // Our helper explains a refusal in `{error}` (e.g. a private target): keep it, one line.
      let why = '';
      try {
        const e = (JSON.parse(text) as { error?: unknown }).error;
        if (typeof e === 'string') why = `: ${e.replace(/\s+/g, ' ').slice(0, 200)}`;
      } catch {
        // not JSON: the status says enough
      }
      return { ...base, failure: `unknown_failure: helper answered HTTP ${res.statusCode}${why}`, t: opts.clock.now() };
    }
    const parsed = parseThAnswer(text);
    if (!parsed.ok) return { ...base, failure: parsed.failure, t: opts.clock.now() };
    return { ...base, response: parsed.response, t: opts.clock.now() };
  } catch (err) {
    const failure = timeout.aborted ? 'generic_timeout_error' : classifyError(err, 'http_round_trip').failure;
    return { ...base, failure, t: opts.clock.now() };
  }
}


async function readCapped(body: AsyncIterable<Buffer>, cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > cap) throw new Error(`helper answer larger than ${cap} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses, normalises (Go nulls) and validates a helper answer (see th-answer.ts); null when it is
 * not a usable test-helper response. Never throws.
 */
export function parseThResponse(text: string): ThResponse | null {
  const parsed = parseThAnswer(text);
  return parsed.ok ? parsed.response : null;
}
