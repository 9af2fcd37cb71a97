/**
 * Client side of the test-helper protocol (docs/helper-protocol.md): POST a {@link ThRequest}
 * to a helper and turn the answer into a {@link ControlRecord}. Never throws for network or protocol
 * failures: they become `ControlRecord.failure` (our vocabulary), as OONI sets `control_failure`.
 */
import type { ControlRecord, ThRequest, ThResponse } from '../model/index.js';
import type { Clock } from '../net/index.js';
import { classifyError, DEFAULT_REQUEST_HEADERS, formatEndpoint, postJson } from '../net/index.js';
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
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  try {
    const res = await postJson(helperUrl, JSON.stringify(req), {
      timeoutMs: opts.timeoutMs,
      maxResponseBytes: opts.maxResponseBytes ?? 8 * 1024 * 1024,
      ...(opts.extraCa !== undefined ? { extraCa: opts.extraCa } : {}),
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
    });
    const text = res.text;
    if (res.status !== 200) {
      // Our helper explains a refusal in `{error}` (e.g. a private target): keep it, one line.
      let why = '';
      try {
        const e = (JSON.parse(text) as { error?: unknown }).error;
        if (typeof e === 'string') why = `: ${e.replace(/\s+/g, ' ').slice(0, 200)}`;
      } catch {
        // not JSON: the status says enough
      }
      return { ...base, failure: `unknown_failure: helper answered HTTP ${res.status}${why}`, t: opts.clock.now() };
    }
    const parsed = parseThAnswer(text);
    if (!parsed.ok) return { ...base, failure: parsed.failure, t: opts.clock.now() };
    return { ...base, response: parsed.response, t: opts.clock.now() };
  } catch (err) {
    const failure = timeout.aborted ? 'generic_timeout_error' : classifyError(err, 'http_round_trip').failure;
    return { ...base, failure, t: opts.clock.now() };
  }
}



/**
 * Parses, normalises (Go nulls) and validates a helper answer (see th-answer.ts); null when it is
 * not a usable test-helper response. Never throws.
 */
export function parseThResponse(text: string): ThResponse | null {
  const parsed = parseThAnswer(text);
  return parsed.ok ? parsed.response : null;
}
