/**
 * tlsHandshake: one TLS handshake over an already connected TCP socket, recorded as OONI's
 * `tls_handshakes[]` entry plus a summary of the peer chain (spec df-006-tlshandshake;
 * docs/measurement-model.md step 7: 10 s, SNI = URL host, not sent for IP literals, ALPN
 * `["h2","http/1.1"]`, verification against the Mozilla bundle).
 */
import type net from 'node:net';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { summarizeCertificate } from './certificate.js';
import { createDeadline } from './deadline.js';
import { classifyError } from './failure.js';
import type { Clock } from './clock.js';
import type { Failure } from '../model/failure.js';
import type { BinaryData, CertificateSummary, TlsHandshakeObservation } from '../model/observations.js';

/** Default TLS handshake timeout in ms (OONI LTE: 10 s). */
export const DEFAULT_TLS_TIMEOUT_MS = 10_000;

/** Default ALPN offer (OONI LTE `["h2","http/1.1"]`). */
export const DEFAULT_ALPN: readonly string[] = ['h2', 'http/1.1'];

/**
 * TlsHandshakeOptions.
 * - `serverName` (required): the URL host; sent as SNI unless it is an IP literal; the certificate
 *   is always verified against it (DNS name or IP SAN).
 * - `alpn` (optional, default `['h2','http/1.1']`).
 * - `extraCa` (optional): PEM certificates ADDED to Node's bundled Mozilla roots
 *   (`tls.rootCertificates`); verification is never disabled.
 * - `clock` (required); `timeoutMs` (optional, default 10000 ms); `transactionId`, `depth`
 *   (required); `tags` (optional, written verbatim); `address` (required): `IP:PORT` for the
 *   observation; `signal` (optional): abort → interrupted.
 */
export interface TlsHandshakeOptions {
  serverName: string;
  alpn?: readonly string[];
  extraCa?: string[];
  clock: Clock;
  timeoutMs?: number;
  transactionId: number;
  depth: number;
  tags?: string[];
  address: string;
  signal?: AbortSignal;
  /**
   * Skip certificate verification (optional, default false). ONLY for timing references whose
   * content is never trusted (the throttling test's harmless-SNI arm); recorded as `no_tls_verify: true`.
   */
  noVerify?: boolean;
  /**
   * Record the peer chain (optional, default true): `peer_certificates` (DER) and their summaries.
   * False skips both (they are then `[]`; verification still runs on the leaf): for callers that
   * keep only the failure, such as the helper's per-address TLS checks. Summaries are cached by
   * fingerprint (a summary is a pure function of the certificate), so recording costs little once
   * a certificate was seen; parsing a new one costs ~0.2 ms (`npm run bench`).
   */
  recordPeerCertificates?: boolean;
}

/** The result of {@link tlsHandshake}: the observation and the TLS socket (null on failure). */
export interface TlsHandshakeResult {
  observation: TlsHandshakeObservation;
  socket: tls.TLSSocket | null;
}

const contexts = new Map<string, tls.SecureContext>();

/** One secure context per distinct `extraCa` set (building one from ~150 roots costs milliseconds). */
function secureContextFor(extraCa: string[] | undefined): tls.SecureContext {
  const key = (extraCa ?? []).join('\n');
  let ctx = contexts.get(key);
  if (ctx === undefined) {
    ctx = tls.createSecureContext({ ca: [...tls.rootCertificates, ...(extraCa ?? [])] });
    contexts.set(key, ctx);
  }
  return ctx;
}

/**
 * tlsHandshake performs the handshake on `socket` and verifies the peer.
 *
 * The handshake runs with `rejectUnauthorized: false` so the peer chain (DER, leaf first, and its
 * summaries) is recorded even when verification fails; verification is then done here, in the
 * order of Go's `x509.Certificate.Verify` so failures match OONI: (1) leaf outside its validity
 * period → ssl_invalid_certificate (`CERT_HAS_EXPIRED` / `CERT_NOT_YET_VALID`); (2)
 * `tls.checkServerIdentity(serverName)` fails → ssl_invalid_hostname; (3) OpenSSL's chain error
 * (`authorizationError`) → ssl_unknown_authority / ssl_invalid_certificate per `classifyError`.
 * Handshake errors: classified by `classifyError(err, 'tls_handshake')` (RST → connection_reset,
 * FIN → eof_error, alerts → ssl_failed_handshake...); `timeoutMs` → generic_timeout_error;
 * `signal` → interrupted. On failure both sockets are destroyed and `socket` is null; on success
 * the caller owns the returned TLSSocket (it carries a no-op `error` listener).
 * `peer_certificates` is the chain as the server sent it (see {@link peerChain}).
 * Never rejects for network failures.
 */
export function tlsHandshake(socket: net.Socket, opts: TlsHandshakeOptions): Promise<TlsHandshakeResult> {
  const { clock, serverName } = opts;
  const alpn = [...(opts.alpn ?? DEFAULT_ALPN)];
  const t0 = clock.now();
  const deadline = createDeadline('tls_handshake', opts.timeoutMs ?? DEFAULT_TLS_TIMEOUT_MS, opts.signal);
  const sendSni = isIP(serverName) === 0;
  return new Promise((resolve) => {
    let settled = false;
    const tlsSocket = tls.connect({
      socket,
      ...(sendSni ? { servername: serverName } : {}),
      ALPNProtocols: alpn,
      secureContext: secureContextFor(opts.extraCa),
      rejectUnauthorized: false,
      // Our identity check runs later, in `verify`, on the leaf read in `secureConnect`.
      checkServerIdentity: () => undefined,
    });
    skipNodeChainRead(tlsSocket);
    let peerCertificates: BinaryData[] | null = null;
    let summaries: CertificateSummary[] = [];

    const settle = (failure: Failure | null, detail: string | null): void => {
      if (settled) return;
      settled = true;
      restoreNodeChainRead(tlsSocket);
      deadline.clear();
      tlsSocket.removeListener('error', onError);
      tlsSocket.removeListener('close', onClose);
      tlsSocket.on('error', () => undefined);
      if (failure !== null) {
        tlsSocket.destroy();
        socket.destroy();
      }
      const ok = failure === null;
      const cipher = ok ? tlsSocket.getCipher() : null;
      resolve({
        observation: {
          network: 'tcp',
          address: opts.address,
          server_name: serverName,
          alpn,
          no_tls_verify: opts.noVerify === true,
          negotiated_protocol: peerCertificates !== null && typeof tlsSocket.alpnProtocol === 'string' ? tlsSocket.alpnProtocol : null,
          tls_version: peerCertificates !== null ? (tlsSocket.getProtocol() ?? null) : null,
          cipher_suite: cipher !== null ? (cipher.standardName ?? cipher.name) : null,
          peer_certificates: peerCertificates,
          peer_certificates_summary: summaries,
          failure,
          failure_detail: detail,
          t0,
          t: clock.now(),
          transaction_id: opts.transactionId,
          depth: opts.depth,
          tags: [...(opts.tags ?? [])],
        },
        socket: ok ? tlsSocket : null,
      });
    };
    const onError = (err: Error): void => {
      const c = classifyError(err, 'tls_handshake');
      settle(c.failure, c.detail);
    };
    const onClose = (): void => settle('eof_error', 'close');
    tlsSocket.once('error', onError);
    tlsSocket.once('close', onClose);
    deadline.aborted.catch((reason: unknown) => onError(reason as Error));
    tlsSocket.once('secureConnect', () => {
      restoreNodeChainRead(tlsSocket);
      const record = opts.recordPeerCertificates !== false;
      const leaf = tlsSocket.getPeerX509Certificate() ?? null;
      const chain = record && leaf !== null ? peerChain(leaf) : [];
      peerCertificates = chain.map((c) => ({ format: 'base64', data: c.raw.toString('base64') }));
      summaries = chain.flatMap((c) => {
        try {
          return [cachedSummary(c.raw, c.fingerprint256)];
        } catch {
          return [];
        }
      });
      const verdict = opts.noVerify === true ? null : verify(tlsSocket, serverName, leaf);
      settle(verdict?.failure ?? null, verdict?.detail ?? null);
    });
  });
}

/** At most this many certificate summaries are kept by {@link cachedSummary}. */
const SUMMARY_CACHE_SIZE = 512;
const summaryCache = new Map<string, CertificateSummary>();

/**
 * cachedSummary summarizes a certificate (leaf or CA), cached by its SHA-256 fingerprint: a
 * summary is a pure function of the DER, a batch run meets the same certificates again and again
 * (CAs, shared and wildcard leaves, a server's default certificate for the harmless SNI), and
 * parsing one costs ~0.2 ms. The cache is cleared when full (bounded memory). Throws like
 * {@link summarizeCertificate} on a DER that is not a certificate.
 */
function cachedSummary(der: Buffer, fingerprint256: string): CertificateSummary {
  let summary = summaryCache.get(fingerprint256);
  if (summary === undefined) {
    summary = summarizeCertificate(der);
    if (summaryCache.size >= SUMMARY_CACHE_SIZE) summaryCache.clear();
    summaryCache.set(fingerprint256, summary);
  }
  return summary;
}

/** At most this many certificates of a peer chain are recorded (a hostile server may send hundreds). */
export const MAX_PEER_CHAIN = 32;

/**
 * peerChain returns the chain as the server sent it, in its order, leaf first, duplicates
 * included (Go's `PeerCertificates`, which OONI records; Node v20 links `issuerCertificate` along
 * the sent list, without matching issuers), at most {@link MAX_PEER_CHAIN} certificates.
 */
function peerChain(leaf: X509Certificate): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (let cert: X509Certificate | undefined = leaf; cert !== undefined && out.length < MAX_PEER_CHAIN; cert = cert.issuerCertificate) out.push(cert);
  return out;
}

/**
 * QUIRK: lib/_tls_wrap.js `onConnectSecure` (Node v20) reads the detailed peer chain
 * (`getPeerCertificate(true)`: every certificate turned into an object, the chain completed from
 * the trust store; ~0.4 ms of CPU per handshake, `npm run bench`) only to hand it to
 * `checkServerIdentity`, which ignores it here. Until the handshake settles, the socket's own
 * `getPeerCertificate` returns an empty object; the chain is read as sent, with
 * `getPeerX509Certificate`, and the prototype's method is back once the handshake settled, on
 * every path ({@link restoreNodeChainRead}). (Once `getPeerX509Certificate` was called, Node v20's
 * `getPeerCertificate` returns an empty object: nothing of ours reads it after.)
 */
function skipNodeChainRead(s: tls.TLSSocket): void {
  Object.defineProperty(s, 'getPeerCertificate', { value: () => ({}), configurable: true, writable: true });
}

/** Removes the instance's own `getPeerCertificate` set by {@link skipNodeChainRead}, if any. */
function restoreNodeChainRead(s: tls.TLSSocket): void {
  if (Object.hasOwn(s, 'getPeerCertificate')) delete (s as unknown as Record<string, unknown>)['getPeerCertificate'];
}

/**
 * identityView is what Node v20's `tls.checkServerIdentity` (lib/tls.js) reads of a peer
 * certificate: `subjectaltname` (the same string as `toLegacyObject()`'s, from the same C++
 * function), and `subject.CN` only when there is no DNS SAN (the CN fallback). That CN is read from
 * `toLegacyObject()` on first access, so the check decides exactly as on the legacy object while
 * the usual certificate (with DNS SANs) skips building it (every field of the certificate, ~0.1 ms
 * of CPU per handshake, `npm run bench`).
 */
export function identityView(leaf: X509Certificate): tls.PeerCertificate {
  let cn: { value: unknown } | null = null;
  const subject = {
    get CN(): unknown {
      cn ??= { value: (leaf.toLegacyObject().subject as Partial<tls.Certificate> | undefined)?.CN };
      return cn.value;
    },
  };
  return { subjectaltname: leaf.subjectAltName, subject } as unknown as tls.PeerCertificate;
}

/** Checks the leaf `leaf` (the peer's certificate; null: none) for `serverName`, then the socket's chain verdict. */
function verify(s: tls.TLSSocket, serverName: string, leaf: X509Certificate | null): { failure: Failure; detail: string } | null {
  if (leaf === null) return { failure: 'ssl_failed_handshake', detail: 'no peer certificate' };
  const now = Date.now();
  if (new Date(leaf.validTo).getTime() < now) return { failure: 'ssl_invalid_certificate', detail: 'CERT_HAS_EXPIRED' };
  if (new Date(leaf.validFrom).getTime() > now) return { failure: 'ssl_invalid_certificate', detail: 'CERT_NOT_YET_VALID' };
  // The name rules of tls.checkServerIdentity (wildcards, IP SANs, CN only without DNS SANs) on the leaf alone.
  const identityError = tls.checkServerIdentity(serverName, identityView(leaf));
  if (identityError !== undefined) {
    const c = classifyError(identityError, 'tls_handshake');
    return { failure: c.failure, detail: c.detail ?? 'ERR_TLS_CERT_ALTNAME_INVALID' };
  }
  if (!s.authorized) {
    const raw: unknown = s.authorizationError;
    const code = typeof raw === 'string' ? raw : raw instanceof Error ? ((raw as Error & { code?: string }).code ?? raw.message) : 'UNKNOWN';
    const c = classifyError(Object.assign(new Error(code), { code }), 'tls_handshake');
    return { failure: c.failure, detail: code };
  }
  return null;
}
