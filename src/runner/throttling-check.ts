/**
 * The throttling step of one target (issue 5): screening of the measurement that was just made,
 * then, when it is suspicious or the user asked (`--throttling`), the paired-transfer escalation
 * and the pure decision. Never throws for network failures.
 */
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import type { ControlRecord, EscalationTrigger, Observations, ThrottlingRecord } from '../model/index.js';
import { createClock, parseEndpoint, systemLookup } from '../net/index.js';
import { harmlessNameFor } from '../flows/index.js';
import { DEFAULT_PAIRS, DEFAULT_STALL_GAP_MS, decideThrottling, screenObservations } from '../throttling/index.js';
import { runPairedTransfers, type TransferSpec } from './paired-transfers.js';

/**
 * ThrottlingConfig (times in ms, sizes in bytes).
 * - `mode`: `auto` escalates suspicious targets only, `always` every target (`--throttling`),
 *   `off` screens only;
 * - `pairs`: pairs of transfers (default 5); `maxBytes`: body cap per transfer (default 512 KiB);
 *   `timeoutMs`: per-step budget of a transfer (default 5000); `gapMs`: pause between transfers
 *   (default 500; 3.5 suggests 1 s);
 * - `seed`: the interleaving seed, null = random (always recorded);
 * - `referenceName`: the harmless SNI/Host of the reference arm, null = `harmlessNameFor(host)`: `example.org` (or
 *   `example.com` when the target is example.org or under it): RFC 2606 names nobody censors;
 * - `maxEscalations`: escalations per run (default 5) so that a run stays bounded.
 */
export interface ThrottlingConfig {
  mode: 'auto' | 'always' | 'off';
  pairs: number;
  maxBytes: number;
  timeoutMs: number;
  gapMs: number;
  seed: number | null;
  referenceName: string | null;
  maxEscalations: number;
}

/**
 * Defaults of {@link ThrottlingConfig}. Added time per escalated target: a throttled target arm
 * usually costs 5 × 5 s = 25 s; the worst case (every step of every transfer hanging) is
 * 2 × 5 × 3 × 5 s + 9 × 0.5 s = 154.5 s (`worstCaseMs`); at most 5 targets per run are escalated.
 */
export const DEFAULT_THROTTLING: Readonly<ThrottlingConfig> = Object.freeze({
  mode: 'auto',
  pairs: DEFAULT_PAIRS,
  maxBytes: 512 * 1024,
  timeoutMs: 5000,
  gapMs: 500,
  seed: null,
  referenceName: null,
  maxEscalations: 5,
});

/** Harmless names (RFC 2606 reserved: never the subject of censorship). */

/** Everything {@link checkThrottling} needs about the run. */
export interface ThrottlingCheckContext {
  config: ThrottlingConfig;
  /** The helper URL, or null. */
  controlUrl: string | null;
  httpTimeoutMs: number;
  extraCa: string[];
  /** Shared across the run's workers: escalations still allowed. */
  budget: { left: number };
  signal?: AbortSignal;
}

/**
 * checkThrottling screens `observations` and escalates when warranted (and budget is left).
 * Reference arm: for https, the same server address with a harmless SNI and Host (certificate not
 * verified: only timings are used; peers-and-methods 3.5 arm B2); for http with a helper, the
 * helper's reference stream requested with the target's Host (target arm) and with a harmless Host
 * (reference arm) (arm B1 over HTTP); for http without a helper, the same address with a harmless Host.
 */
export async function checkThrottling(observations: Observations, control: ControlRecord, ctx: ThrottlingCheckContext): Promise<ThrottlingRecord> {
  const cfg = ctx.config;
  const screening = screenObservations(observations, Math.min(DEFAULT_STALL_GAP_MS, ctx.httpTimeoutMs / 2));
  const triggers: EscalationTrigger[] = cfg.mode === 'always' ? ['requested', ...screening.suspicious] : [...screening.suspicious];
  const main = screening.transfer;
  const request = observations.requests[0];
  const endpoint = main === null ? null : parseEndpoint(main.address);
  if (cfg.mode === 'off' || triggers.length === 0 || main === null || endpoint === null || request === undefined || ctx.budget.left <= 0 || ctx.signal?.aborted) {
    return { screening, escalation: null };
  }
  ctx.budget.left--;
  const url = new URL(request.request.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const referenceName = cfg.referenceName ?? harmlessNameFor(host);
  const { ip, port } = endpoint;
  const https = url.protocol === 'https:';
  let target: TransferSpec;
  let reference: TransferSpec;
  let kind: 'same_address' | 'helper_stream' = 'same_address';
  const helper = !https && ctx.controlUrl !== null ? await helperEndpoint(ctx.controlUrl, cfg.maxBytes, ctx.signal) : null;
  if (helper !== null) {
    kind = 'helper_stream';
    target = { ...helper, tls: false, sni: null, noVerify: false, host: url.host };
    reference = { ...helper, tls: false, sni: null, noVerify: false, host: referenceName };
  } else {
    target = { ip, port, tls: https, sni: host, noVerify: false, url: url.href, host: url.host };
    reference = { ip, port, tls: https, sni: referenceName, noVerify: true, url: url.href, host: referenceName };
  }
  const seed = cfg.seed ?? randomInt(0, 2 ** 31);
  const result = await runPairedTransfers({
    target,
    reference,
    pairs: cfg.pairs,
    seed,
    maxBytes: cfg.maxBytes,
    timeoutMs: cfg.timeoutMs,
    gapMs: cfg.gapMs,
    extraCa: ctx.extraCa,
    ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
  });
  const hops = control.response?.x_censorprobe?.hops ?? [];
  const controlGoodput = hops[hops.length - 1]?.http_request?.goodput_bps ?? null;
  const decision = decideThrottling({ transfers: result.transfers, controlGoodputBps: controlGoodput });
  return {
    screening,
    escalation: {
      triggers,
      reference: kind,
      reference_name: referenceName,
      seed,
      pairs: cfg.pairs,
      order: result.order,
      max_bytes: cfg.maxBytes,
      timeout_ms: cfg.timeoutMs,
      transfers: result.transfers,
      decision,
    },
  };
}


/** The helper's reference-stream endpoint (`/x/reference-stream`), resolved to an address; null when the helper's name does not resolve. */
async function helperEndpoint(controlUrl: string, bytes: number, signal?: AbortSignal): Promise<{ ip: string; port: number; url: string } | null> {
  const u = new URL(controlUrl);
  if (u.protocol !== 'http:') return null; // an https helper would need its own certificate name: not supported yet
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let ip = host;
  if (isIP(host) === 0) {
    // OONI's DNS budget (4 s); Ctrl-C cuts it short like every other step.
    const r = await systemLookup(host, { clock: createClock(), timeoutMs: 4000, transactionId: 1, depth: 0, ...(signal ? { signal } : {}) });
    const first = r.addresses[0];
    if (first === undefined) return null;
    ip = first;
  }
  const stream = new URL('x/reference-stream', u.href.endsWith('/') ? u.href : `${u.href}/`);
  stream.searchParams.set('bytes', String(bytes));
  return { ip, port: u.port !== '' ? Number(u.port) : 80, url: stream.href };
}
