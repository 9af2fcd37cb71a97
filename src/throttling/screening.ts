/**
 * Screening: the cheap throttling check run on every measurement, from the observations the flow
 * already records (docs/throttling.md "Escalation (keep the default run cheap)"). Pure.
 */
import type { EscalationTrigger, Observations, ThrottlingScreening } from '../model/index.js';
import { transferMetrics } from './metrics.js';

/** Escalation thresholds (docs/throttling.md "Escalation" a-c). */
export const SCREENING = Object.freeze({
  /** (a) slow handshake: t_tls >= max(1 s, 8 × t_connect). */
  slowHandshakeFloorMs: 1000,
  slowHandshakeFactor: 8,
  /**
   * (b) low goodput below 1 Mbit/s, measured over at least this many bytes. 3.5 asks for 64 KiB;
   * goodput now comes from time windows, so a rate measured on fewer bytes (a 2 KB/s policer
   * delivers a few KiB before the deadline) counts too: 1 KiB.
   */
  lowGoodputMinBytes: 1024,
  lowGoodputBps: 1_000_000,
});

/**
 * screenObservations measures the final request of the measurement (the last redirect hop's
 * connection) and says which escalation triggers fire: `slow_handshake` (a), `low_goodput` (b),
 * `stall_mid_body` (c: the response head arrived but the body read failed with a deadline, reset
 * or close after bytes), `reset_after_handshake` (a reset before any response after a completed
 * handshake: a data-triggered reset, docs/throttling.md).
 * `stallGapMs`: see {@link transferMetrics}. Returns `transfer: null` when no request was sent.
 */
export function screenObservations(obs: Observations, stallGapMs?: number): ThrottlingScreening {
  const request = obs.requests[0] ?? null; // most recent first (OONI order)
  if (request === null) {
    // No request: a slow handshake that still succeeded can only be seen on a failed later step.
    return { transfer: null, suspicious: [] };
  }
  const txid = request.transaction_id;
  const connect = obs.tcp_connect.find((c) => c.transaction_id === txid) ?? null;
  const handshake = obs.tls_handshakes.find((h) => h.transaction_id === txid) ?? null;
  const url = new URL(request.request.url);
  const transfer = transferMetrics({
    arm: 'main',
    trial: 0,
    address: request.address,
    sni: handshake?.server_name ?? null,
    host: url.host,
    connect,
    handshake,
    request,
    events: obs.network_events,
    ...(stallGapMs !== undefined ? { stallGapMs } : {}),
  });
  const failedMidBody = request.response !== null && request.failure !== null && MID_BODY_FAILURES.has(request.failure);
  const resetAfterHandshake = request.response === null && request.failure === 'connection_reset' && (handshake === null ? connect !== null : handshake.failure === null);
  return { transfer, suspicious: triggers(transfer, failedMidBody, resetAfterHandshake) };
}

/**
 * Failures of a body read that a censor's stall or policer causes: the deadline, a reset, a close.
 * A redirect with an invalid Location, too many redirects or a parse error also leave a response
 * with a failure, but they are not a mid-body stall and never trigger an escalation.
 */
export const MID_BODY_FAILURES: ReadonlySet<string> = new Set(['generic_timeout_error', 'connection_reset', 'eof_error']);

function triggers(t: ReturnType<typeof transferMetrics>, failedMidBody: boolean, resetAfterHandshake: boolean): EscalationTrigger[] {
  const out: EscalationTrigger[] = [];
  if (t.t_tls_ms !== null && t.t_connect_ms !== null && t.t_tls_ms >= Math.max(SCREENING.slowHandshakeFloorMs, SCREENING.slowHandshakeFactor * t.t_connect_ms)) {
    out.push('slow_handshake');
  }
  const lowByRate = t.goodput_bps !== null && t.goodput_bps < SCREENING.lowGoodputBps;
  if (t.bytes >= SCREENING.lowGoodputMinBytes && lowByRate) out.push('low_goodput');
  if ((failedMidBody && t.bytes > 0) || (t.stall_after_bytes !== null && failedMidBody)) out.push('stall_mid_body');
  if (resetAfterHandshake) out.push('reset_after_handshake');
  return out;
}
