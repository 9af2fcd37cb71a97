/**
 * Failure strings: the one vocabulary every observation uses for "what went wrong".
 *
 * Source: OONI df-007-errors and probe-cli `netxlite/errno.go`, `classify.go` (restated in
 * docs/measurement-model.md). `null` always means success. Only `src/net/failure.ts`
 * (`classifyError`) creates these strings from Node errors; other modules only compare them.
 */

/** The closed part of the vocabulary (snake_case, as OONI writes them). */
export const FAILURES = [
  'dns_nxdomain_error',
  'dns_no_answer',
  'dns_servfail_error',
  'dns_refused_error',
  'dns_bogon_error',
  'dns_server_misbehaving',
  'dns_reply_with_wrong_query_id',
  'connection_refused',
  'connection_reset',
  'connection_aborted',
  'generic_timeout_error',
  'host_unreachable',
  'network_unreachable',
  'network_down',
  'eof_error',
  'ssl_invalid_hostname',
  'ssl_unknown_authority',
  'ssl_invalid_certificate',
  'ssl_failed_handshake',
  'http_invalid_redirect_location_host',
  'interrupted',
] as const;

/** A failure string from the closed vocabulary. */
export type KnownFailure = (typeof FAILURES)[number];

/**
 * A failure string: a {@link KnownFailure}, or `unknown_failure: <message>` with IP addresses
 * scrubbed from the message (OONI `ClassifyGenericError`, last rule).
 */
export type Failure = KnownFailure | `unknown_failure: ${string}`;

/** The failure OONI writes when the redirect budget (10) is exhausted (`httpredirect.go`). */
export const TOO_MANY_REDIRECTS: Failure = 'unknown_failure: stopped after too many redirects';

/** The major operation an observation records (OONI operation names). */
export type Operation =
  | 'resolve'
  | 'dns_round_trip'
  | 'connect'
  | 'tls_handshake'
  | 'http_round_trip'
  | 'read'
  | 'write';
