import { describe, expect, it } from 'vitest';
import { GOODPUT_SKIP_BYTES, screenObservations, transferMetrics } from '../../../src/throttling/index.js';
import { WIRE_TAG, type NetworkEvent, type Observations } from '../../../src/model/index.js';
import { connectObs, readEvents, requestObs, tlsObs, TX } from './build.js';

const base = { arm: 'main' as const, trial: 0, address: '192.0.2.1:443', sni: 'target.test', host: 'target.test' };

describe('transfer metrics from recorded events', () => {
  it('measures a 150 kbit/s policed body: goodput after 16 KiB, 250 ms bins, no stall while bytes flow', () => {
    // 4096-byte reads every 0.2185 s = 18750 B/s = 150 kbit/s, 3 s, then the client's timeout.
    const events = readEvents(0.1, 4096 / 18_750, 4096, 56_000, 3.1);
    const m = transferMetrics({ ...base, connect: connectObs(0, 0.02), handshake: tlsObs(0.02, 0.08), request: requestObs(0.1, 3.1, { failure: 'generic_timeout_error' }), events, stallGapMs: 1500 });
    expect(m.goodput_bps).toBeGreaterThan(140_000);
    expect(m.goodput_bps).toBeLessThan(160_000);
    expect(m.t_connect_ms).toBe(20);
    expect(m.t_tls_ms).toBe(60);
    expect(m.t_ttfb_ms).toBe(10);
    expect(m.bytes).toBe(56_000);
    expect(m.samples.reduce((a, b) => a + b, 0)).toBe(56_000);
    expect(m.samples).toHaveLength(12);
    expect(m.stall_after_bytes).toBeNull();
    expect(m.completed).toBe(false);
    expect(m.failure).toBe('generic_timeout_error');
    expect(m.failed_operation).toBe('http_round_trip');
  });
  it('sees a freeze: the final silence before the timeout, with the bytes received before it', () => {
    const events = readEvents(0.1, 0.001, 1024, 14_000, 3.1);
    const m = transferMetrics({ ...base, connect: connectObs(0, 0.01), handshake: null, request: requestObs(0.1, 3.1, { failure: 'generic_timeout_error' }), events, stallGapMs: 1500 });
    expect(m.stall_after_bytes).toBe(14_000);
    expect(m.max_gap_ms).toBeGreaterThan(2900);
    expect(m.goodput_bps).toBeNull(); // fewer than 16 KiB after the first 16 KiB
  });
  it('measures the wire: a freeze is a stop of wire bytes (a TLS record cut in the middle never decrypts)', () => {
    const wire = (t: number, n: number): NetworkEvent => ({ operation: 'bytes_received_cumulative', num_bytes: n, failure: null, t, transaction_id: TX, tags: [WIRE_TAG] });
    const events = [...readEvents(0.1, 0.001, 144, 144, 3.1), wire(0.2, 8000), wire(0.35, 16_384), ...[0.6, 1, 2, 3.1].map((t) => wire(t, 16_384))];
    const m = transferMetrics({ ...base, connect: connectObs(0, 0.01), handshake: tlsObs(0.01, 0.05), request: requestObs(0.1, 3.1, { failure: 'generic_timeout_error' }), events, stallGapMs: 1500, wireBytes: 16_500 });
    expect(m.bytes).toBe(144);
    expect(m.goodput_basis).toBe('wire');
    expect(m.stall_after_bytes).toBe(16_384);
  });
  it('a 2 KB/s trickle on the wire is a rate, not a freeze, even when no record decrypts', () => {
    const wire = (t: number, n: number): NetworkEvent => ({ operation: 'bytes_received_cumulative', num_bytes: n, failure: null, t, transaction_id: TX, tags: [WIRE_TAG] });
    const events = [...readEvents(0.1, 0.001, 200, 200, 3.1)];
    for (let k = 1; k <= 12; k++) events.push(wire(0.1 + k * 0.25, 512 * k));
    const m = transferMetrics({ ...base, connect: connectObs(0, 0.01), handshake: tlsObs(0.01, 0.05), request: requestObs(0.1, 3.1, { failure: 'generic_timeout_error' }), events, stallGapMs: 1500 });
    expect(m.stall_after_bytes).toBeNull();
    expect(m.goodput_bps).toBeGreaterThan(15_000);
    expect(m.goodput_bps).toBeLessThan(18_000); // 16.4 kbit/s
    expect(m.goodput_window_ms).toBeGreaterThanOrEqual(1000);
  });
  it('does not call a completed transfer a stall, and needs 16 KiB after the skipped 16 KiB for goodput', () => {
    const events = readEvents(0.1, 0.001, 8192, GOODPUT_SKIP_BYTES + 8192, 0.2);
    const m = transferMetrics({ ...base, connect: connectObs(0, 0.01), handshake: null, request: requestObs(0.1, 0.2, { bodyLength: 24_000 }), events });
    expect(m.completed).toBe(true);
    expect(m.stall_after_bytes).toBeNull();
    expect(m.goodput_bps).toBeNull();
  });
  it('reports a failed connect without a request', () => {
    const m = transferMetrics({ ...base, connect: connectObs(0, 10, 'generic_timeout_error'), handshake: null, request: null, events: [] });
    expect(m).toMatchObject({ failure: 'generic_timeout_error', failed_operation: 'connect', t_connect_ms: null, bytes: 0, goodput_bps: null });
  });
});

describe('screening of every measurement', () => {
  const obs = (o: Partial<Observations>): Observations => ({ queries: [], tcp_connect: [], tls_handshakes: [], requests: [], network_events: [], ...o });
  it('flags a slow handshake: t_tls >= max(1 s, 8 x t_connect)', () => {
    const s = screenObservations(obs({ tcp_connect: [connectObs(0, 0.002)], tls_handshakes: [tlsObs(0.002, 1.3)], requests: [requestObs(1.3, 1.4, { bodyLength: 1500 })], network_events: readEvents(1.31, 0.01, 1500, 1500, 1.4) }));
    expect(s.suspicious).toEqual(['slow_handshake']);
  });
  it('does not flag a 0.9 s handshake (below the 1 s floor) nor a fast full body', () => {
    const s = screenObservations(obs({ tcp_connect: [connectObs(0, 0.05)], tls_handshakes: [tlsObs(0.05, 0.95)], requests: [requestObs(1, 1.2, { bodyLength: 524_288 })], network_events: readEvents(1.01, 0.001, 16_384, 524_288, 1.2) }));
    expect(s.suspicious).toEqual([]);
    expect(s.transfer?.goodput_bps).toBeGreaterThan(1_000_000);
  });
  it('flags low goodput (>= 64 KiB below 1 Mbit/s) and a mid-body timeout', () => {
    const slow = screenObservations(obs({ tcp_connect: [connectObs(0, 0.01)], requests: [requestObs(0.1, 2.2, { bodyLength: 200_000 })], network_events: readEvents(0.1, 0.05, 4096, 200_000, 2.2) }));
    expect(slow.suspicious).toEqual(['low_goodput']);
    const cut = screenObservations(obs({ tcp_connect: [connectObs(0, 0.01)], requests: [requestObs(0.1, 10.1, { failure: 'generic_timeout_error', bodyLength: 30_000 })], network_events: readEvents(0.1, 0.3, 1000, 30_000, 10.1) }));
    expect(cut.suspicious).toContain('stall_mid_body');
  });
  it('has nothing to screen when no request was sent', () => {
    expect(screenObservations(obs({ tcp_connect: [connectObs(0, 10, 'generic_timeout_error')] }))).toEqual({ transfer: null, suspicious: [] });
  });
});
