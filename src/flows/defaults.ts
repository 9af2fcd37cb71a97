/**
 * Shared defaults of the URL flow: OONI Web Connectivity LTE (v0.5) values, with their sources
 * (docs/measurement-model.md; probe-cli `webconnectivitylte`, `netxlite`, `httpredirect.go`).
 */

/** DNS timeout in ms, per query (OONI LTE: 4 s context per resolver, 1.1 step 4). */
export const DEFAULT_DNS_TIMEOUT_MS = 4000;
/** TCP connect timeout in ms (OONI LTE: 10 s per flow, 1.1 step 6). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** TLS handshake timeout in ms (OONI LTE: 10 s, 1.1 step 7). */
export const DEFAULT_TLS_TIMEOUT_MS = 10_000;
/** HTTP timeout in ms, round trip plus body read (OONI LTE: 10 s, 1.1 step 9). */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
/**
 * Default budget of one control exchange (the probe's request to the helper), ms. It must exceed
 * the worst case of our helper (HELPER_MEASUREMENT_BUDGET_MS in control/helper-server.ts, 45 s)
 * plus the network, so that a site that drops every SYN for everyone comes back from the helper as
 * failed connects (`down`) rather than as a control timeout (`inconclusive`). OONI's oohelperd
 * worst case (about 4 s DNS + 15 s) is also below it. docs/helper-protocol.md, "Budget".
 */
export const DEFAULT_CONTROL_TIMEOUT_MS = 60_000;
/** Body cap in bytes (OONI LTE: `LimitReader(1<<19)` = 512 KiB, 1.1 step 9). */
export const DEFAULT_MAX_BODY_BYTES = 524_288;
/** Redirects followed (OONI `NumRedirects(10)`, 1.1 steps 2 and 10); one more fails with TOO_MANY_REDIRECTS. */
export const DEFAULT_MAX_REDIRECTS = 10;
/** First transaction id of DNS lookups (OONI `idgenerator.go`: getaddrinfo 10001+). */
export const FIRST_DNS_TRANSACTION_ID = 10_001;
/** First transaction id of endpoint flows (OONI `idgenerator.go`: cleartext endpoints 40001+). */
export const FIRST_CONNECTION_TRANSACTION_ID = 40_001;
/**
 * Status codes treated as redirects. QUIRK: OONI LTE follows only 301, 302, 307 and 308
 * (`httpredirect.go`); we also follow 303 as browsers and spec df-001 do.
 */
export const REDIRECT_STATUS_CODES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * The harmless SNI of the repeated handshake after a TLS failure (`sni_probe`): a reserved
 * documentation name (RFC 2606) that no censor has reason to filter. `example.com` is used instead
 * when the target itself is example.org or one of its subdomains.
 */
export const DEFAULT_SNI_PROBE_SERVER_NAME = 'example.org';

/**
 * harmlessNameFor picks the harmless name (SNI/Host) to compare `host` with: `preferred`, unless
 * the target is that name or one of its subdomains (a rule keyed on `*.example.org` would then hit
 * both), in which case another RFC 2606 name. Used by the SNI probe and the throttling reference.
 */
export function harmlessNameFor(host: string, preferred = DEFAULT_SNI_PROBE_SERVER_NAME): string {
  const h = host.toLowerCase();
  const clash = (n: string): boolean => h === n || h.endsWith(`.${n}`);
  if (!clash(preferred)) return preferred;
  return ['example.org', 'example.com', 'example.net'].find((n) => !clash(n)) ?? 'example.net';
}

/**
 * TLS failures after which the flow repeats the handshake with the harmless SNI: the signatures of
 * interference after the ClientHello (RST, FIN, blackhole). Certificate failures are not repeated.
 */
export const SNI_PROBE_FAILURES: ReadonlySet<string> = new Set(['connection_reset', 'eof_error', 'generic_timeout_error']);

/**
 * DEFAULTS: the values above as one object, for the CLI's option defaults. Timeouts in ms, body
 * cap in bytes.
 */
export const DEFAULTS = Object.freeze({
  dnsTimeoutMs: DEFAULT_DNS_TIMEOUT_MS,
  connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
  tlsTimeoutMs: DEFAULT_TLS_TIMEOUT_MS,
  httpTimeoutMs: DEFAULT_HTTP_TIMEOUT_MS,
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  maxRedirects: DEFAULT_MAX_REDIRECTS,
  controlTimeoutMs: DEFAULT_CONTROL_TIMEOUT_MS,
});
