/**
 * The throttling escalation's measurement (docs/throttling.md "Arms" and "Schedule"): transfers of
 * several arms in a given order, each a connect-TLS-HTTP flow on a fresh connection, with a pause
 * between transfers and a total time budget. Network failures never throw: every transfer yields
 * its raw observations (the metrics are computed by src/throttling/metrics.ts).
 */
import { createClock, formatEndpoint, httpRoundTrip, tcpConnect, tlsHandshake } from '../net/index.js';
import type { HttpRequestObservation, NetworkEvent, TcpConnectObservation, TlsHandshakeObservation } from '../model/index.js';

/**
 * TransferSpec: one arm's transfer.
 * - `ip`, `port`: the server address dialled;
 * - `tls`: whether to run TLS; `sni`: the SNI sent (null: none); `noVerify`: skip certificate
 *   verification (harmless-name and helper references only: their content is never used);
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
 * - `order`: the arm of each transfer, in the order run; `specs`: the transfer of each arm;
 * - `maxBytes`: body cap per transfer (bytes); `timeoutMs`: budget of the connect and of the TLS
 *   step, ms; `windowMs`: budget of the HTTP round trip (head and body), ms; `gapMs`: pause
 *   between transfers, ms;
 * - `budgetMs`: total time, ms: no transfer starts after it, and a transfer's steps are cut to
 *   what is left of it (docs/throttling.md "Budget");
 * - `extraCa` (optional): extra trusted CAs (PEM); `signal` (optional): aborts (remaining
 *   transfers are skipped).
 */
export interface PairedTransfersOptions<Arm extends string> {
  order: readonly Arm[];
  specs: Readonly<Record<Arm, TransferSpec>>;
  maxBytes: number;
  timeoutMs: number;
  windowMs: number;
  gapMs: number;
  budgetMs: number;
  extraCa?: string[];
  signal?: AbortSignal;
}

/**
 * RawTransfer: what one transfer observed. `connect` is always set; `handshake` null for plain
 * HTTP or when the connect failed; `request` null when no request was sent; `events` the round
 * trip's network events; `wireBytes` the TCP bytes read (TLS included), null when not connected.
 */
export interface RawTransfer<Arm extends string> {
  arm: Arm;
  trial: number;
  address: string;
  sni: string | null;
  host: string;
  connect: TcpConnectObservation;
  handshake: TlsHandshakeObservation | null;
  request: HttpRequestObservation | null;
  events: NetworkEvent[];
  wireBytes: number | null;
}

/**
 * worstCaseMs: the longest the transfers can take, ms: the budget, plus at most one transfer's
 * steps started just before it ran out (connect + TLS + window) and one pause.
 */
export function worstCaseMs(o: Pick<PairedTransfersOptions<string>, 'timeoutMs' | 'windowMs' | 'gapMs' | 'budgetMs'>): number {
  return o.budgetMs + 2 * o.timeoutMs + o.windowMs + o.gapMs;
}

/**
 * runPairedTransfers runs the transfers of `order` one at a time, waiting `gapMs` between them,
 * until the order or the budget is exhausted. Returns the transfers run, in order (fewer than
 * `order` when the budget ran out or `signal` aborted). Never rejects for network failures.
 */
export async function runPairedTransfers<Arm extends string>(opts: PairedTransfersOptions<Arm>): Promise<RawTransfer<Arm>[]> {
  const started = Date.now();
  const out: RawTransfer<Arm>[] = [];
  const trialOf = new Map<Arm, number>();
  for (const [i, arm] of opts.order.entries()) {
    if (opts.signal?.aborted) break;
    if (i > 0 && opts.gapMs > 0) await sleep(opts.gapMs, opts.signal);
    const left = opts.budgetMs - (Date.now() - started);
    if (left <= 0 || opts.signal?.aborted) break;
    const trial = trialOf.get(arm) ?? 0;
    trialOf.set(arm, trial + 1);
    out.push(await oneTransfer(opts.specs[arm], arm, trial, opts, left));
  }
  return out;
}

async function oneTransfer<Arm extends string>(spec: TransferSpec, arm: Arm, trial: number, opts: PairedTransfersOptions<Arm>, leftMs: number): Promise<RawTransfer<Arm>> {
  const clock = createClock();
  const address = formatEndpoint(spec.ip, spec.port);
  const signal = opts.signal !== undefined ? { signal: opts.signal } : {};
  const common = { clock, transactionId: 1, depth: 0, tags: [`throttling=${arm}`] };
  // Connect and TLS keep their own budget (a slow handshake must be able to complete); the
  // HTTP window is cut to what is left of the total budget, but never below 1 s.
  const c = await tcpConnect(spec.ip, spec.port, { ...common, timeoutMs: opts.timeoutMs, ...signal });
  const base = { arm, trial, address, sni: spec.tls ? spec.sni : null, host: spec.host, connect: c.observation };
  if (c.socket === null) return { ...base, handshake: null, request: null, events: [], wireBytes: null };
  const raw = c.socket;
  let socket = c.socket;
  let handshake: TlsHandshakeObservation | null = null;
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
    if (t.socket === null) return { ...base, handshake, request: null, events: [], wireBytes: raw.bytesRead };
    socket = t.socket;
  }
  const elapsed = clock.now() * 1000;
  const r = await httpRoundTrip(socket, {
    ...common,
    url: spec.url,
    address,
    headers: { Host: spec.host, 'Cache-Control': 'no-cache' },
    maxBodyBytes: opts.maxBytes,
    timeoutMs: Math.max(1000, Math.min(opts.windowMs, leftMs - elapsed)),
    ...signal,
  });
  return { ...base, handshake, request: r.observation, events: r.events, wireBytes: raw.bytesRead };
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
