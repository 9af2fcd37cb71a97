/**
 * The throttling step of one target (docs/throttling.md): screening of the measurement that was just made,
 * then, when it is suspicious or the user asked (`--throttling`), the paired-transfer escalation
 * and the pure decision. Never throws for network failures.
 */
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import type { ControlRecord, EscalationTrigger, Observations, ThrottlingRecord } from '../model/index.js';
import { createClock, parseEndpoint, systemLookup } from '../net/index.js';
import { harmlessNameFor } from '../flows/index.js';
import { controlSpeed, DEFAULT_PAIRS, DEFAULT_STALL_GAP_MS, decideThrottling, isSlowForEveryone, RESET_CHECK, roundOrder, screenObservations, transferMetrics, type EscalationArm } from '../throttling/index.js';
import { runPairedTransfers, type TransferSpec } from '../flows/index.js';

/**
 * ThrottlingConfig (times in ms, sizes in bytes).
 * - `mode`: `auto` escalates suspicious targets only, `always` every target (`--throttling`),
 *   `off` screens only;
 * - `pairs`: rounds of transfers (each round one transfer per arm; default 5); `maxBytes`: body
 *   cap per transfer (default 512 KiB); `timeoutMs`: budget of the connect and of the TLS step
 *   (default 5000: a handshake starved to a few seconds must still complete); `windowMs`: budget
 *   of the HTTP round trip, head and body (default 2000: goodput comes from time windows, so a
 *   short window still yields a rate); `gapMs`: pause between transfers (default 200);
 * - `budgetMs`: the escalation's total time (default 30000, docs/throttling.md "Budget");
 * - `seed`: the interleaving seed, null = random (always recorded);
 * - `referenceName`: the harmless SNI/Host, null = `harmlessNameFor(host)`: `example.org` (or
 *   `example.com` when the target is example.org or under it): RFC 2606 names nobody censors;
 * - `maxEscalations`: escalations per run (default 5) so that a run stays bounded.
 */
export interface ThrottlingConfig {
  mode: 'auto' | 'always' | 'off';
  pairs: number;
  maxBytes: number;
  timeoutMs: number;
  windowMs?: number;
  gapMs: number;
  budgetMs?: number;
  seed: number | null;
  referenceName: string | null;
  maxEscalations: number;
}

/**
 * Defaults of {@link ThrottlingConfig}. An escalated target costs at most `budgetMs` (30 s) plus
 * one transfer started just before it ran out (`worstCaseMs`: 30 + 2 × 5 + 2 + 0.2 = 42.2 s; a
 * throttled target, whose handshakes are fast, about 32 s); at most 5 targets per run are escalated.
 */
export const DEFAULT_THROTTLING: Readonly<Required<ThrottlingConfig>> = Object.freeze({
  mode: 'auto',
  pairs: DEFAULT_PAIRS,
  maxBytes: 512 * 1024,
  timeoutMs: 5000,
  windowMs: 2000,
  gapMs: 200,
  budgetMs: 30_000,
  seed: null,
  referenceName: null,
  maxEscalations: 5,
});

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
 * Arms (docs/throttling.md "Arms"): `target` (the site's own address with the site's name, for
 * plain HTTP too), `reference` (the same address with a harmless SNI and Host; certificate not
 * verified: only timings are used), and, with an http helper, `other_path` (the helper's
 * reference stream with the harmless name, over TLS for https targets). A target that the control
 * fetched slowly too is not escalated in `auto` mode: the server is slow for everyone, and the
 * main transfer's rate says how slow. In `auto` mode a target whose only trigger is
 * `reset_after_handshake` gets the reset check ({@link RESET_CHECK}: the same rounds with no
 * pause, whatever `gapMs`; docs/throttling.md "Reset check"): it asks whether the reset repeats and
 * whether the harmless name is reset too, which needs no rate samples.
 */
export async function checkThrottling(observations: Observations, control: ControlRecord, ctx: ThrottlingCheckContext): Promise<ThrottlingRecord> {
  const cfg = { ...DEFAULT_THROTTLING, ...ctx.config };
  const screening = screenObservations(observations, Math.min(DEFAULT_STALL_GAP_MS, ctx.httpTimeoutMs / 2));
  const ctl = controlSpeed(control);
  const slowForAll = screening.transfer !== null && isSlowForEveryone(screening.transfer, ctl);
  screening.slow_for_everyone = slowForAll ? { probe_goodput_bps: screening.transfer?.goodput_bps ?? null, control_goodput_bps: ctl.goodputBps, control_cut: ctl.slow && ctl.goodputBps === null } : null;
  const triggers: EscalationTrigger[] = cfg.mode === 'always' ? ['requested', ...screening.suspicious] : slowForAll ? [] : [...screening.suspicious];
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
  const specs: Partial<Record<EscalationArm, TransferSpec>> = {
    target: { ip, port, tls: https, sni: host, noVerify: false, url: url.href, host: url.host },
    reference: { ip, port, tls: https, sni: referenceName, noVerify: true, url: url.href, host: referenceName },
  };
  const helper = ctx.controlUrl !== null ? await helperEndpoint(ctx.controlUrl, cfg.maxBytes, ctx.signal) : null;
  if (helper !== null) {
    const stream = new URL(helper.url);
    if (https) {
      // TLS on the helper's HTTP port (docs/throttling.md "Arms"): the recorded URL names that port.
      stream.protocol = 'https:';
      stream.port = String(helper.port);
    }
    specs.other_path = { ip: helper.ip, port: helper.port, tls: https, sni: https ? referenceName : null, noVerify: true, url: stream.href, host: referenceName };
  }
  const arms = (['target', 'reference', 'other_path'] as const).filter((a) => specs[a] !== undefined);
  const resetCheck = cfg.mode === 'auto' && triggers.every((t) => t === 'reset_after_handshake');
  const seed = cfg.seed ?? randomInt(0, 2 ** 31);
  const order = roundOrder(cfg.pairs, seed, arms);
  const raw = await runPairedTransfers({
    order,
    specs: specs as Record<EscalationArm, TransferSpec>,
    maxBytes: cfg.maxBytes,
    timeoutMs: cfg.timeoutMs,
    windowMs: cfg.windowMs,
    gapMs: resetCheck ? RESET_CHECK.gapMs : cfg.gapMs,
    budgetMs: cfg.budgetMs,
    extraCa: ctx.extraCa,
    ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
  });
  const stallGapMs = Math.min(DEFAULT_STALL_GAP_MS, cfg.windowMs / 2);
  const transfers = raw.map((t) => transferMetrics({ ...t, stallGapMs }));
  const decision = decideThrottling({ transfers, controlGoodputBps: ctl.goodputBps, controlSlow: ctl.slow });
  return {
    screening,
    escalation: {
      triggers,
      reference: 'same_address',
      reference_name: referenceName,
      other_path_url: specs.other_path?.url ?? null,
      seed,
      pairs: cfg.pairs,
      order: order.slice(0, transfers.length),
      control_slow: ctl.slow,
      max_bytes: cfg.maxBytes,
      timeout_ms: cfg.timeoutMs,
      transfers,
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
