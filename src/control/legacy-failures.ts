/**
 * The test helper's legacy failure mapping (docs/helper-protocol.md, `oohelperd` dns.go,
 * tcptls.go, http.go), kept so OONI clients read our helper's answers as they read OONI's.
 */
import type { Failure } from '../model/index.js';

const DNS_SERVER_FAILURES = new Set(['dns_non_recoverable_failure', 'dns_refused_error', 'dns_server_misbehaving', 'dns_temporary_failure']);
const DNS_LOOKUP_FAILURES = new Set(['dns_nxdomain_error', 'dns_no_answer', ...DNS_SERVER_FAILURES]);

/** DNS step: nxdomain → `dns_name_error`, no answer → null, server failures → `dns_server_failure`, else `unknown_error`. */
export function legacyDnsFailure(f: Failure | null): string | null {
  if (f === null || f === 'dns_no_answer') return null;
  if (f === 'dns_nxdomain_error') return 'dns_name_error';
  if (DNS_SERVER_FAILURES.has(f)) return 'dns_server_failure';
  return 'unknown_error';
}

/** TCP step: timeout kept, refused → `connection_refused_error`, else `connect_error`. */
export function legacyTcpFailure(f: Failure | null): string | null {
  if (f === null) return null;
  if (f === 'generic_timeout_error') return f;
  if (f === 'connection_refused') return 'connection_refused_error';
  return 'connect_error';
}

/**
 * HTTP step: DNS failures (and a timeout while resolving) → `dns_lookup_error`, other timeouts
 * kept, refused → `connection_refused_error`, else `unknown_error`.
 */
export function legacyHttpFailure(f: Failure | null, failedOperation: string | null): string | null {
  if (f === null) return null;
  if (DNS_LOOKUP_FAILURES.has(f) || (failedOperation === 'resolve' && f === 'generic_timeout_error')) return 'dns_lookup_error';
  if (f === 'generic_timeout_error') return f;
  if (f === 'connection_refused') return 'connection_refused_error';
  return 'unknown_error';
}
