/**
 * classifyError: THE one mapping from Node/undici errors to the failure vocabulary of
 * `src/model/failure.ts` (docs/architecture.md convention 2).
 *
 * Sources: OONI probe-cli `netxlite/errno.go`, `classify.go` (`ClassifyGenericError`,
 * `ClassifyResolverError`, `ClassifyTLSHandshakeError`), restated in docs/measurement-model.md;
 * Node's errno/getaddrinfo/OpenSSL error codes; undici's `UND_ERR_*` codes (docs/architecture.md).
 * Mapping is by `code` first; message text is used only for Node errors whose code lies
 * (`socket hang up` and "Client network socket disconnected..." carry `ECONNRESET` but are a FIN).
 */
import { isIP } from 'node:net';
import type { Failure, KnownFailure, Operation } from '../model/failure.js';

/** The result of {@link classifyError}: the failure string and the raw code (or null). */
export interface ClassifiedFailure {
  failure: Failure;
  /** The raw error code, e.g. `ECONNRESET`, `UND_ERR_SOCKET`, `CERT_HAS_EXPIRED`; null when none. */
  detail: string | null;
}

/** Code carried by {@link OperationTimeoutError}. */
export const ERR_PROBE_TIMEOUT = 'ERR_PROBE_TIMEOUT';

/**
 * OperationTimeoutError: the error our primitives create when their own timer for one operation
 * fires. `classifyError` maps it to `generic_timeout_error` (also when it is the `reason`/`cause`
 * of an AbortError). `code` is `ERR_PROBE_TIMEOUT`; `timeoutMs` is the budget in ms.
 */
export class OperationTimeoutError extends Error {
  readonly code = ERR_PROBE_TIMEOUT;
  constructor(
    readonly operation: Operation,
    readonly timeoutMs: number,
  ) {
    super(`${operation} timed out after ${timeoutMs} ms`);
    this.name = 'OperationTimeoutError';
  }
}

/**
 * Syscall errno codes (OONI `errno.go`). Codes outside the closed vocabulary (EADDRINUSE...) fall
 * through to `unknown_failure`. QUIRK: OONI writes `timed_out` for ETIMEDOUT; the brief and our
 * vocabulary use `generic_timeout_error`. EPIPE is a write on a reset connection.
 */
const ERRNO: Readonly<Record<string, KnownFailure>> = {
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  ENETRESET: 'connection_reset',
  ECONNABORTED: 'connection_aborted',
  ETIMEDOUT: 'generic_timeout_error',
  EHOSTUNREACH: 'host_unreachable',
  EHOSTDOWN: 'host_unreachable',
  ENETUNREACH: 'network_unreachable',
  ENETDOWN: 'network_down',
  EINTR: 'interrupted',
};

/**
 * Resolver codes: Node `dns` (getaddrinfo and c-ares). Node reports both EAI_NONAME and EAI_NODATA
 * from getaddrinfo as `ENOTFOUND`, so getaddrinfo cannot tell NXDOMAIN from NODATA. Other EAI codes
 * → dns_server_misbehaving (OONI `getaddrinfo_cgo.go`, "other EAI codes").
 */
const RESOLVER: Readonly<Record<string, KnownFailure>> = {
  ENOTFOUND: 'dns_nxdomain_error',
  EAI_NONAME: 'dns_nxdomain_error',
  ENODATA: 'dns_no_answer',
  EAI_NODATA: 'dns_no_answer',
  ESERVFAIL: 'dns_servfail_error',
  EREFUSED: 'dns_refused_error',
  ETIMEOUT: 'generic_timeout_error',
  EAI_AGAIN: 'dns_server_misbehaving',
  EAI_FAIL: 'dns_server_misbehaving',
  EBADRESP: 'dns_server_misbehaving',
  EFORMERR: 'dns_server_misbehaving',
  ENOTIMP: 'dns_server_misbehaving',
  EBADNAME: 'dns_server_misbehaving',
  ECONNREFUSED: 'connection_refused',
  ECANCELLED: 'interrupted',
  EDESTRUCTION: 'interrupted',
};

/**
 * TLS / X.509 codes: Node `ERR_TLS_*` and OpenSSL verify codes (as Node exposes them in
 * `err.code` / `authorizationError`), mapped like OONI's `ClassifyTLSHandshakeError`
 * (x509.HostnameError → ssl_invalid_hostname, UnknownAuthorityError → ssl_unknown_authority,
 * CertificateInvalidError → ssl_invalid_certificate; alerts: 112 → ssl_invalid_hostname,
 * 48 → ssl_unknown_authority, 42-46 → ssl_invalid_certificate, others → ssl_failed_handshake).
 */
const TLS: Readonly<Record<string, KnownFailure>> = {
  ERR_TLS_CERT_ALTNAME_INVALID: 'ssl_invalid_hostname',
  HOSTNAME_MISMATCH: 'ssl_invalid_hostname',
  ERR_SSL_TLSV1_ALERT_UNRECOGNIZED_NAME: 'ssl_invalid_hostname',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'ssl_unknown_authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'ssl_unknown_authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'ssl_unknown_authority',
  UNABLE_TO_GET_ISSUER_CERT: 'ssl_unknown_authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'ssl_unknown_authority',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'ssl_unknown_authority',
  CERT_HAS_EXPIRED: 'ssl_invalid_certificate',
  CERT_NOT_YET_VALID: 'ssl_invalid_certificate',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'ssl_invalid_certificate',
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: 'ssl_invalid_certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'ssl_invalid_certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'ssl_invalid_certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'ssl_invalid_certificate',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'generic_timeout_error',
};

/** Other OpenSSL X.509 verify codes: all "the certificate is invalid" (Go CertificateInvalidError). */
const CERT_INVALID_PREFIXES = ['CERT_', 'ERROR_IN_CERT_', 'INVALID_CA', 'INVALID_PURPOSE', 'PATH_LENGTH_EXCEEDED',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'UNABLE_TO_GET_CRL',
  'ERR_TLS_CERT_'];

/** undici codes (docs/architecture.md: classify on these codes, not message text). */
const UNDICI: Readonly<Record<string, KnownFailure>> = {
  UND_ERR_CONNECT_TIMEOUT: 'generic_timeout_error',
  UND_ERR_HEADERS_TIMEOUT: 'generic_timeout_error',
  UND_ERR_BODY_TIMEOUT: 'generic_timeout_error',
  UND_ERR_SOCKET: 'eof_error',
  UND_ERR_CLOSED: 'eof_error',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'eof_error',
  UND_ERR_ABORTED: 'interrupted',
  UND_ERR_DESTROYED: 'interrupted',
};

/** Node codes for a stream closed before its end (a FIN where more was expected). */
const EOF_CODES: Readonly<Record<string, KnownFailure>> = {
  ERR_STREAM_PREMATURE_CLOSE: 'eof_error',
  ERR_SOCKET_CLOSED: 'eof_error',
  ERR_HTTP2_STREAM_CANCEL: 'eof_error',
  ERR_HTTP2_SESSION_ERROR: 'connection_reset',
  ERR_HTTP2_STREAM_ERROR: 'connection_reset',
  ERR_HTTP2_GOAWAY_SESSION: 'eof_error',
};

/** Messages of Node errors that carry `ECONNRESET` although the peer only closed (FIN). */
const EOF_MESSAGES = ['socket hang up', 'Client network socket disconnected before secure TLS connection was established'];

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  syscall?: unknown;
  cause?: unknown;
  reason?: unknown;
}

function asErrorLike(err: unknown): ErrorLike | null {
  return typeof err === 'object' && err !== null ? (err as ErrorLike) : null;
}

function isTimeout(err: unknown): boolean {
  const e = asErrorLike(err);
  if (e === null) return false;
  return e.code === ERR_PROBE_TIMEOUT || e.name === 'TimeoutError' || e instanceof OperationTimeoutError;
}

function classifyCode(code: string, operation: Operation): KnownFailure | null {
  if (operation === 'resolve' || operation === 'dns_round_trip') {
    const r = RESOLVER[code];
    if (r !== undefined) return r;
  }
  return (
    ERRNO[code] ??
    TLS[code] ??
    UNDICI[code] ??
    EOF_CODES[code] ??
    RESOLVER[code] ??
    (code.startsWith('ERR_SSL_') ? 'ssl_failed_handshake' : null) ??
    (CERT_INVALID_PREFIXES.some((p) => code.startsWith(p)) ? 'ssl_invalid_certificate' : null)
  );
}

/**
 * classifyError maps any thrown/emitted error to `{ failure, detail }`.
 *
 * Order (after OONI `ClassifyGenericError`): our own timeouts and `TimeoutError` →
 * generic_timeout_error; `AbortError` → interrupted unless its reason/cause is our timeout;
 * Node errors whose `ECONNRESET` really means a FIN (no `syscall`, message `socket hang up` or
 * "Client network socket disconnected...") → eof_error; `UND_ERR_SOCKET` whose cause is a reset →
 * connection_reset; then the code tables (resolver codes first when `operation` is `resolve` or
 * `dns_round_trip`); then the `cause` chain; then message suffixes `EOF`/"premature close" →
 * eof_error; otherwise `unknown_failure: <message with IP addresses scrubbed>`.
 * `detail` is the raw code of the error that decided (e.g. `ECONNRESET`), else null.
 * Never throws; `err` may be anything (non-Error values are stringified).
 */
export function classifyError(err: unknown, operation: Operation): ClassifiedFailure {
  return classifyInner(err, operation, 0) ?? fallback(err);
}

function classifyInner(err: unknown, operation: Operation, depth: number): ClassifiedFailure | null {
  const e = asErrorLike(err);
  if (e === null || depth > 5) return null;
  const code = typeof e.code === 'string' ? e.code : null;
  if (isTimeout(err)) return { failure: 'generic_timeout_error', detail: code ?? 'TimeoutError' };
  if (e.name === 'AbortError' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED') {
    if (isTimeout(e.cause) || isTimeout(e.reason)) {
      return { failure: 'generic_timeout_error', detail: ERR_PROBE_TIMEOUT };
    }
    return { failure: 'interrupted', detail: code ?? 'AbortError' };
  }
  const message = typeof e.message === 'string' ? e.message : '';
  if (code === 'ECONNRESET' && e.syscall === undefined && EOF_MESSAGES.some((m) => message.startsWith(m))) {
    return { failure: 'eof_error', detail: code };
  }
  if (code === 'UND_ERR_SOCKET') {
    const inner = classifyInner(e.cause, operation, depth + 1);
    if (inner !== null && inner.failure === 'connection_reset') return inner;
    return { failure: 'eof_error', detail: code };
  }
  if (code !== null) {
    const f = classifyCode(code, operation);
    if (f !== null) return { failure: f, detail: code };
  }
  const inner = classifyInner(e.cause, operation, depth + 1);
  if (inner !== null) return inner;
  if (/(^|\W)EOF$/.test(message) || /premature close/i.test(message)) {
    return { failure: 'eof_error', detail: code };
  }
  return null;
}

function fallback(err: unknown): ClassifiedFailure {
  const e = asErrorLike(err);
  const message = e !== null && typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  const code = e !== null && typeof e.code === 'string' ? e.code : null;
  return { failure: `unknown_failure: ${scrubAddresses(message)}`, detail: code };
}

/** Candidate IPv6 (optionally bracketed, optional :port), IPv4 (optional :port). Validated with `net.isIP`. */
const ADDRESS_CANDIDATE = /\[([0-9A-Fa-f:.%a-zA-Z]+)\](?::\d{1,5})?|\b(\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?\b|([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\d{1,3}(?:\.\d{1,3}){3})?)/g;

/**
 * scrubAddresses replaces every IPv4 and IPv6 address in `s` (with its `:port`, IPv6 bracketed or
 * not) by `[scrubbed]`, as OONI's `scrubber` does for `unknown_failure` messages
 * (docs/measurement-model.md). Strings that only look like addresses (times such as
 * `10:30:00`, versions) are kept: candidates are validated with `net.isIP`. Never throws.
 */
export function scrubAddresses(s: string): string {
  return s.replace(ADDRESS_CANDIDATE, (match, bracketed: string | undefined, v4: string | undefined, v6: string | undefined) => {
    const candidate = bracketed ?? v4 ?? v6 ?? '';
    const bare = candidate.split('%')[0] ?? candidate;
    return isIP(bare) !== 0 ? '[scrubbed]' : match;
  });
}
