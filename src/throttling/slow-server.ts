/**
 * Slow for everyone (docs/throttling.md "Slow servers"): the speed of the control's own fetch of
 * the page, and the rule that a body deadline after bytes arrived, when the control was slow too,
 * is a slow but accessible server with a speed sample, not a failure. Pure.
 */
import type { ControlRecord, ThrottlingRecord, TransferMetrics } from '../model/index.js';
import { formatBps, THRESHOLDS } from './decision.js';

/** Failures that mean "the deadline ran out", as opposed to an error from the network or the server. */
const DEADLINE_FAILURES: ReadonlySet<string> = new Set(['generic_timeout_error']);

/** Goodput below which a transfer counts as slow (bits/s; the screening's low-goodput threshold). */
export const SLOW_BPS = 1_000_000;

/**
 * ControlSpeed: the control's fetch of the page (the last hop of the helper's `x_censorprobe`).
 * - `goodputBps`: bits/s: the hop's `goodput_bps` when present, else 8 × body bytes / `duration_ms`
 *   when the helper reports its fetch's duration (null when neither);
 * - `slow`: the control's fetch ran into its deadline after a response head (a body arrived only
 *   in part), or its goodput is below {@link SLOW_BPS}.
 */
export interface ControlSpeed {
  goodputBps: number | null;
  slow: boolean;
}

/** controlSpeed reads {@link ControlSpeed} from a control record (helpers that send no figures give `{null, false}` unless their fetch timed out mid-body). Never throws. */
export function controlSpeed(control: ControlRecord): ControlSpeed {
  const hops = control.response?.x_censorprobe?.hops ?? [];
  const http = hops[hops.length - 1]?.http_request ?? null;
  if (http === null) return { goodputBps: null, slow: false };
  const extra = http as typeof http & { duration_ms?: unknown; body_bytes?: unknown };
  let goodput = typeof http.goodput_bps === 'number' && http.goodput_bps > 0 ? http.goodput_bps : null;
  const bytes = typeof extra.body_bytes === 'number' ? extra.body_bytes : http.body_length;
  if (goodput === null && typeof extra.duration_ms === 'number' && extra.duration_ms > 0 && bytes > 0) {
    goodput = Math.round((8 * bytes * 1000) / extra.duration_ms);
  }
  const timedOutMidBody = http.failure !== null && DEADLINE_FAILURES.has(http.failure) && http.status_code > 0 && http.body_length > 0;
  return { goodputBps: goodput, slow: timedOutMidBody || (goodput !== null && goodput < SLOW_BPS) };
}

/**
 * isSlowForEveryone: the probe's transfer got a response and body bytes at a low rate (or ran into
 * its deadline after them), and the control was slow too: as slow (its goodput <= 2 × ours,
 * docs/throttling.md rule 7) or cut by its own deadline mid-body.
 */
export function isSlowForEveryone(t: TransferMetrics, control: ControlSpeed): boolean {
  if (t.t_ttfb_ms === null || t.bytes <= 0) return false;
  const probeSlow = (t.failure !== null && DEADLINE_FAILURES.has(t.failure)) || (t.goodput_bps !== null && t.goodput_bps < SLOW_BPS);
  if (!probeSlow) return false;
  if (control.slow) return true;
  return control.goodputBps !== null && t.goodput_bps !== null && control.goodputBps <= THRESHOLDS.serverSlowFactor * t.goodput_bps;
}

const fmtBps = formatBps;

/**
 * slowServerHook returns the classifier's `detectSlowServer` hook: a sentence with the probe's
 * rate when the main transfer was slow for everyone (see {@link isSlowForEveryone}) or the
 * escalation attributed the slowness to the server; undefined otherwise, or when the escalation
 * found throttling or blocking. The verdict is then accessible (the server is slow).
 */
export function slowServerHook(record: ThrottlingRecord | null | undefined, control: ControlRecord): (() => string) | undefined {
  const main = record?.screening.transfer ?? null;
  if (main === null) return undefined;
  const d = record?.escalation?.decision ?? null;
  if (d !== null && (d.throttled || d.outcome === 'blocked')) return undefined;
  const ctl = controlSpeed(control);
  const bySpeed = isSlowForEveryone(main, ctl);
  const byDecision = d !== null && d.attribution === 'server_slow';
  if (!bySpeed && !byDecision) return undefined;
  const cut = main.failure !== null ? `; the probe's transfer was cut by its deadline after ${main.bytes} bytes` : '';
  return () => `slow server, not blocked: the probe fetched at ${fmtBps(main.goodput_bps)} over ${main.goodput_window_ms ?? main.duration_ms} ms${cut}, and the control was slow too (${ctl.goodputBps !== null ? fmtBps(ctl.goodputBps) : 'its fetch ran into its deadline'})`;
}
