/**
 * net/: measurement primitives. Each performs ONE network operation (resolve, dns_round_trip,
 * connect, tls_handshake, http_round_trip) and resolves to an observation in OONI's archival shape
 * with `t0`/`t` from an injected {@link Clock} and `failure` from the one vocabulary
 * (`classifyError`). Primitives never throw for network failures, only for programmer errors.
 *
 * Imports: only `src/model` among our folders (plus Node built-ins; `http.ts` alone imports undici,
 * `dns-*.ts` and `svcb.ts` alone import dns-packet). `resolv-conf.ts` reads /etc/resolv.conf (a
 * file, not the network).
 */
export { createClock, type Clock } from './clock.js';
export { classifyError, scrubAddresses, OperationTimeoutError, ERR_PROBE_TIMEOUT, type ClassifiedFailure } from './failure.js';
export { createDeadline, type Deadline } from './deadline.js';
export { formatEndpoint, parseEndpoint } from './endpoint.js';
export { DEFAULT_DNS_TIMEOUT_MS, type LookupOptions, type LookupResult } from './dns-message.js';
export { systemLookup, type SystemLookupOptions, type GetaddrinfoFn } from './dns-system.js';
export { udpLookup, DEFAULT_LATE_REPLY_WINDOW_MS, type UdpLookupOptions } from './dns-udp.js';
export { dohLookup, type DohLookupOptions } from './dns-doh.js';
export { httpsRecordLookup, toReportRecord, MAX_HTTPS_RAW_BYTES, type HttpsRecordLookupOptions, type HttpsRecordResolver } from './dns-https.js';
export { parseSvcbRdata, decodeHttpsReply, encodeHttpsQuery, HTTPS_RR_TYPE, type SvcbRecord, type DecodedHttpsReply } from './svcb.js';
export { parseResolvConf, readSystemResolvConf, RESOLV_CONF_PATH } from './resolv-conf.js';
export { tcpConnect, DEFAULT_CONNECT_TIMEOUT_MS, type TcpConnectOptions, type TcpConnectResult } from './tcp.js';
export { tlsHandshake, DEFAULT_ALPN, DEFAULT_TLS_TIMEOUT_MS, type TlsHandshakeOptions, type TlsHandshakeResult } from './tls.js';
export { summarizeCertificate } from './certificate.js';
export {
  httpRoundTrip,
  extractTitle,
  canonicalHeaderName,
  bodyForReport,
  DEFAULT_HTTP_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_REQUEST_HEADERS,
  firstValues,
  USER_AGENT,
  MAX_READ_EVENTS,
  type HttpRoundTripOptions,
  type HttpRoundTripResult,
} from './http.js';
export { postJson, type PostJsonOptions, type PostJsonAnswer } from './http-post.js';
