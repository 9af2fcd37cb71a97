/** Builders of synthetic observations and transfers for the throttling unit tests. */
import type { Failure, HttpRequestObservation, NetworkEvent, TcpConnectObservation, TlsHandshakeObservation, TransferMetrics } from '../../../src/model/index.js';

export const TX = 40_001;

export function connectObs(t0: number, t: number, failure: Failure | null = null): TcpConnectObservation {
  return { ip: '192.0.2.1', port: 443, status: { success: failure === null, failure, blocked: false }, t0, t, transaction_id: TX, depth: 0, tags: [] };
}

export function tlsObs(t0: number, t: number, failure: Failure | null = null): TlsHandshakeObservation {
  return {
    network: 'tcp', address: '192.0.2.1:443', server_name: 'target.test', alpn: ['h2', 'http/1.1'], no_tls_verify: false,
    negotiated_protocol: 'http/1.1', tls_version: 'TLSv1.3', cipher_suite: null, peer_certificates: null, peer_certificates_summary: [],
    failure, t0, t, transaction_id: TX, depth: 0, tags: [],
  };
}

export function requestObs(t0: number, t: number, opts: { failure?: Failure | null; firstByte?: number | null; bodyLength?: number; url?: string } = {}): HttpRequestObservation {
  const url = opts.url ?? 'https://target.test/';
  return {
    network: 'tcp', address: '192.0.2.1:443',
    request: { method: 'GET', url, headers: {}, headers_list: [], body: '', body_is_truncated: false, x_transport: 'tcp' },
    response: opts.firstByte === null ? null : { code: 200, headers: {}, headers_list: [], body: '', body_is_truncated: false, body_length: opts.bodyLength ?? 0, title: '' },
    failure: opts.failure ?? null, t_first_byte: opts.firstByte === undefined ? t0 + 0.01 : opts.firstByte, t0, t, transaction_id: TX, depth: 0, tags: [],
  };
}

/**
 * Read events of `chunk` bytes every `every` s from `from` until `bytes` bytes, plus cumulative
 * samples every 0.25 s until `until` (as net/http.ts records them).
 */
export function readEvents(from: number, every: number, chunk: number, bytes: number, until: number): NetworkEvent[] {
  const ev: NetworkEvent[] = [];
  let cum = 0;
  let t = from;
  const reads: { t: number; cum: number }[] = [];
  while (cum < bytes) {
    const n = Math.min(chunk, bytes - cum);
    cum += n;
    if (reads.length < 64) ev.push({ operation: 'read', num_bytes: n, failure: null, t, transaction_id: TX });
    reads.push({ t, cum });
    t += every;
  }
  for (let s = from + 0.25; s < until; s += 0.25) {
    const c = reads.filter((r) => r.t <= s).at(-1)?.cum ?? 0;
    ev.push({ operation: 'bytes_received_cumulative', num_bytes: c, failure: null, t: s, transaction_id: TX });
  }
  ev.push({ operation: 'bytes_received_cumulative', num_bytes: cum, failure: null, t: until, transaction_id: TX });
  return ev;
}

/** A transfer summary with the fields the decision reads. */
export function transfer(arm: 'target' | 'reference' | 'other_path', trial: number, over: Partial<TransferMetrics> = {}): TransferMetrics {
  return {
    arm, trial, address: '192.0.2.1:443', sni: arm === 'target' ? 'target.test' : 'example.org', host: 'x',
    t_connect_ms: 20, t_tls_ms: 45, t_ttfb_ms: 60, bytes: 131_072, wire_bytes: null, goodput_basis: 'plaintext', goodput_window_ms: 500, duration_ms: 500,
    goodput_bps: 2_000_000, samples: [60_000, 60_000], max_gap_ms: 10, stall_after_bytes: null, completed: true,
    failure: null, failed_operation: null, ...over,
  };
}

/** Five target and five reference transfers with the given goodputs (bits/s), bins consistent with them. */
export function pairs(target: number[], reference: number[], over: { target?: Partial<TransferMetrics>; reference?: Partial<TransferMetrics> } = {}): TransferMetrics[] {
  const bins = (bps: number): number[] => Array.from({ length: 4 }, () => Math.round((bps / 8) * 0.25));
  return [
    ...target.map((g, i) => transfer('target', i, { goodput_bps: g, samples: bins(g), ...over.target })),
    ...reference.map((g, i) => transfer('reference', i, { goodput_bps: g, samples: bins(g), ...over.reference })),
  ];
}
