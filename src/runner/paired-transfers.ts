/**
 * The throttling escalation measurement (issue 5; peers-and-methods 3.5 "Arms" and "Schedule"):
 * interleaved paired transfers, target arm vs reference arm, each on a fresh connection, in an
 * order drawn from a recorded seed, with a pause between transfers. Network failures never throw:
 * every transfer yields {@link TransferMetrics} with its failure.
 */
import { createClock, httpRoundTrip, tcpConnect, tlsHandshake } from '../net/index.js';
import type { NetworkEvent, TransferMetrics } from '../model/index.js';
import { pairOrder, transferMetrics, DEFAULT_STALL_GAP_MS } from '../throttling/index.js';

/**
 * TransferSpec: one arm's transfer.
 * - `ip`, `port`: the server address dialed;
 * - `tls`: whether to run TLS; `sni`: the SNI sent (null: none); `noVerify`: skip certificate
 *   verification (harmless-SNI references only: their content is never used);
 * - `url`: the URL requested (its path and query are sent); `host`: the Host header sent.
 */
export interface TransferSpec {
  ip: string;
  port: number;
  tls: boolean;
  sni: string | null;
  noVerify: boolean;
  url: string;
  host: string;
}

/**
 * PairedTransfersOptions.
 * - `target`, `reference`: the two arms; `pairs` (>= 1): transfers per arm; `seed`: the order's seed;
 * - `maxBytes`: body cap per transfer (bytes); `timeoutMs`: budget of EACH step (connect, TLS,
 *   HTTP round trip + body) of a transfer, ms; `gapMs`: pause between transfers, ms;
 * - `extraCa` (optional): extra trusted CAs (PEM); `signal` (optional): aborts (remaining
 *   transfers are skipped).
 */
export interface PairedTransfersOptions {
  target: TransferSpec;
  reference: TransferSpec;
  pairs: number;
  seed: number;
  maxBytes: number;
  timeoutMs: number;
  gapMs: number;
  extraCa?: string[];
  signal?: AbortSignal;
}

/** What {@link runPairedTransfers} returns: the arms in the order run and each transfer's metrics (same order). */
export interface PairedTransfersResult {
  order: ('target' | 'reference')[];
  transfers: TransferMetrics[];
}

/**
 * worstCaseMs: the longest a paired test can take, ms: 2 × pairs transfers of at most 3 steps ×
 * `timeoutMs` each, plus the pauses. With the defaults (5 pairs, 5 s, 0.5 s gaps) a transfer that
 * hangs at every step costs 150 s; a throttled body (the usual case) costs at most one step.
 */
export function worstCaseMs(o: Pick<PairedTransfersOptions, 'pairs' | 'timeoutMs' | 'gapMs'>): number {
  return 2 * o.pairs * 3 * o.timeoutMs + (2 * o.pairs - 1) * o.gapMs;
}

/**
 * runPairedTransfers runs `2 × pairs` transfers in the order `pairOrder(pairs, seed)`, one at a
 * time, waiting `gapMs` between them. Throws RangeError on pairs < 1 (programmer error).
 */
export async function runPairedTransfers(opts: PairedTransfersOptions): Promise<PairedTransfersResult> {
  const order = pairOrder(opts.pairs, opts.seed);
  const transfers: TransferMetrics[] = [];
  const trialOf = { target: 0, reference: 0 };
  for (const [i, arm] of order.entries()) {
    if (opts.signal?.aborted) break;
    if (i > 0 && opts.gapMs > 0) await sleep(opts.gapMs, opts.signal);
    const spec = arm === 'target' ? opts.target : opts.reference;
    transfers.push(await oneTransfer(spec, arm, trialOf[arm]++, opts));
  }
  return { order: order.slice(0, transfers.length), transfers };
}

async function oneTransfer(spec: TransferSpec, arm: 'target' | 'reference', trial: number, opts: PairedTransfersOptions): Promise<TransferMetrics> {
  const clock = createClock();
  const address = spec.ip.includes(':') ? `[${spec.ip}]:${spec.port}` : `${spec.ip}:${spec.port}`;
  const signal = opts.signal !== undefined ? { signal: opts.signal } : {};
  const common = { clock, transactionId: 1, depth: 0, tags: [`throttling=${arm}`] };
  const c = await tcpConnect(spec.ip, spec.port, { ...common, timeoutMs: opts.timeoutMs, ...signal });
  const base = { arm, trial, address, sni: spec.tls ? spec.sni : null, host: spec.host, stallGapMs: Math.min(DEFAULT_STALL_GAP_MS, opts.timeoutMs / 2) } as const;
  if (c.socket === null) return transferMetrics({ ...base, connect: c.observation, handshake: null, request: null, events: [] });
  let socket = c.socket;
  let handshake = null;
  if (spec.tls) {
    const t = await tlsHandshake(c.socket, {
      ...common,
      serverName: spec.sni ?? spec.ip,
      alpn: ['http/1.1'],
      timeoutMs: opts.timeoutMs,
      address,
      noVerify: spec.noVerify,
      ...(opts.extraCa !== undefined && opts.extraCa.length > 0 ? { extraCa: opts.extraCa } : {}),
      ...signal,
    });
    handshake = t.observation;
    if (t.socket === null) return transferMetrics({ ...base, connect: c.observation, handshake, request: null, events: [] });
    socket = t.socket;
  }
  const r = await httpRoundTrip(socket, {
    ...common,
    url: spec.url,
    address,
    headers: { Host: spec.host, 'Cache-Control': 'no-cache' },
    maxBodyBytes: opts.maxBytes,
    timeoutMs: opts.timeoutMs,
    ...signal,
  });
  const events: NetworkEvent[] = r.events;
  return transferMetrics({ ...base, connect: c.observation, handshake, request: r.observation, events, wireBytes: c.socket.bytesRead });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
