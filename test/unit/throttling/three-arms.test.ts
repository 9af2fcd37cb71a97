/**
 * Screening triggers, the slow-for-everyone rule and the three-arm schedule
 * (docs/throttling.md "Screening", "Slow for everyone", "Arms").
 */
import { describe, expect, it } from 'vitest';
import { controlSpeed, isSlowForEveryone, roundOrder, screenObservations, slowServerHook } from '../../../src/throttling/index.js';
import type { ControlRecord, Failure, Observations, ThrottlingRecord } from '../../../src/model/index.js';
import { connectObs, readEvents, requestObs, tlsObs, transfer } from './build.js';

const obs = (o: Partial<Observations>): Observations => ({ queries: [], tcp_connect: [], tls_handshakes: [], requests: [], network_events: [], ...o });

function control(http: Record<string, unknown> | null): ControlRecord {
  return {
    source: 'helper', address: 'http://helper.test/', request: null, failure: null, dns_reference: null, t0: 0, t: 1,
    response: {
      tcp_connect: {}, http_request: { body_length: 1, discovered_h3_endpoint: '', failure: null, title: '', headers: {}, status_code: 200 }, dns: { failure: null, addrs: [] },
      x_censorprobe: { software: 'x', hops: [{ url: 'https://target.test/', depth: 0, dns: { failure: null, addrs: [] }, tcp_connect: {}, tls_handshake: {}, http_request: http as never }] },
    },
  } as ControlRecord;
}
const hop = (o: Record<string, unknown>) => ({ failure: null, status_code: 200, body_length: 20_000, body_is_truncated: false, title: '', headers: {}, location: null, ...o });

describe('screening triggers', () => {
  it('a redirect with an invalid Location, too many redirects or a parse error is not a mid-body stall', () => {
    for (const failure of ['http_invalid_redirect_location_host', 'unknown_failure: stopped after too many redirects', 'unknown_failure: invalid redirect location', 'unknown_failure: parse error']) {
      const s = screenObservations(obs({ tcp_connect: [connectObs(0, 0.01)], requests: [requestObs(0.1, 0.2, { failure: failure as Failure, bodyLength: 300 })], network_events: readEvents(0.1, 0.01, 300, 300, 0.2) }));
      expect(s.suspicious, failure).toEqual([]);
    }
  });
  it('a reset before any response after a completed handshake triggers the escalation', () => {
    const s = screenObservations(obs({ tcp_connect: [connectObs(0, 0.01)], tls_handshakes: [tlsObs(0.01, 0.05)], requests: [requestObs(0.06, 0.07, { failure: 'connection_reset', firstByte: null })] }));
    expect(s.suspicious).toEqual(['reset_after_handshake']);
  });
  it('a 2 KB/s trickle cut by the deadline is low goodput and a mid-body stall', () => {
    const s = screenObservations(obs({ tcp_connect: [connectObs(0, 0.01)], requests: [requestObs(0.1, 3.1, { failure: 'generic_timeout_error', bodyLength: 6000 })], network_events: readEvents(0.1, 0.125, 256, 6000, 3.1) }));
    expect(s.suspicious).toEqual(['low_goodput', 'stall_mid_body']);
    expect(s.transfer?.goodput_bps).toBeGreaterThan(14_000);
    expect(s.transfer?.goodput_bps).toBeLessThan(19_000);
  });
});

describe('slow for everyone', () => {
  const slowMain = transfer('target', 0, { arm: 'main', goodput_bps: 16_000, bytes: 6000, failure: 'generic_timeout_error', failed_operation: 'http_round_trip', completed: false });
  it("reads the control's rate from goodput_bps, or from duration_ms and body bytes, and sees its deadline", () => {
    expect(controlSpeed(control(hop({ goodput_bps: 20_000 })))).toEqual({ goodputBps: 20_000, slow: true });
    expect(controlSpeed(control(hop({ duration_ms: 8000, body_bytes: 16_000 })))).toEqual({ goodputBps: 16_000, slow: true });
    expect(controlSpeed(control(hop({ failure: 'generic_timeout_error', body_length: 20_000 })))).toEqual({ goodputBps: null, slow: true });
    expect(controlSpeed(control(hop({ goodput_bps: 90_000_000 })))).toEqual({ goodputBps: 90_000_000, slow: false });
    expect(controlSpeed(control(null))).toEqual({ goodputBps: null, slow: false });
  });
  it('is slow for everyone only when the control is slow too', () => {
    expect(isSlowForEveryone(slowMain, { goodputBps: null, slow: true })).toBe(true);
    expect(isSlowForEveryone(slowMain, { goodputBps: 25_000, slow: false })).toBe(true);
    expect(isSlowForEveryone(slowMain, { goodputBps: 90_000_000, slow: false })).toBe(false);
  });
  it('the hook says so (accessible) unless the escalation found throttling or blocking', () => {
    const rec: ThrottlingRecord = { screening: { transfer: slowMain, suspicious: ['stall_mid_body'] }, escalation: null };
    expect(slowServerHook(rec, control(hop({ failure: 'generic_timeout_error' })))).toBeTypeOf('function');
    expect(slowServerHook(rec, control(hop({ goodput_bps: 90_000_000 })))).toBeUndefined();
  });
});

describe('three-arm schedule', () => {
  it('runs every arm once per round, rotating the order, reproducibly from the seed', () => {
    const o = roundOrder(5, 42, ['target', 'reference', 'other_path']);
    expect(o).toHaveLength(15);
    for (let r = 0; r < 5; r++) expect(new Set(o.slice(3 * r, 3 * r + 3)).size).toBe(3);
    expect(new Set([0, 1, 2, 3, 4].map((r) => o[3 * r])).size).toBe(3); // no arm always first
    expect(roundOrder(5, 42, ['target', 'reference', 'other_path'])).toEqual(o);
  });
  it('keeps the A,B,B,A interleaving for two arms', () => {
    expect(roundOrder(2, 1, ['target', 'reference'])).toHaveLength(4);
  });
});
