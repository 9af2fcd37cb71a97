import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyError, OperationTimeoutError, scrubAddresses } from '../../../src/net/failure.js';
import type { Operation } from '../../../src/model/failure.js';
import { startTcpServer, type Running } from './support/servers.js';

function err(code: string | undefined, message = 'boom', extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code }, extra);
}

const abortWithTimeout = Object.assign(new Error('aborted'), { name: 'AbortError', cause: new OperationTimeoutError('http_round_trip', 10) });
const plainAbort = Object.assign(new Error('This operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });

/** One row per mapping: [description, error, operation, failure, detail]. */
const ROWS: [string, unknown, Operation, string, string | null][] = [
  ['ECONNREFUSED', err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9', { syscall: 'connect' }), 'connect', 'connection_refused', 'ECONNREFUSED'],
  ['ECONNRESET from read', err('ECONNRESET', 'read ECONNRESET', { syscall: 'read' }), 'http_round_trip', 'connection_reset', 'ECONNRESET'],
  ['EPIPE', err('EPIPE', 'write EPIPE', { syscall: 'write' }), 'write', 'connection_reset', 'EPIPE'],
  ['ETIMEDOUT', err('ETIMEDOUT', 'connect ETIMEDOUT', { syscall: 'connect' }), 'connect', 'generic_timeout_error', 'ETIMEDOUT'],
  ['EHOSTUNREACH', err('EHOSTUNREACH', '', { syscall: 'connect' }), 'connect', 'host_unreachable', 'EHOSTUNREACH'],
  ['ENETUNREACH', err('ENETUNREACH', '', { syscall: 'connect' }), 'connect', 'network_unreachable', 'ENETUNREACH'],
  ['ENETDOWN', err('ENETDOWN', '', { syscall: 'connect' }), 'connect', 'network_down', 'ENETDOWN'],
  ['ECONNABORTED', err('ECONNABORTED', '', { syscall: 'read' }), 'read', 'connection_aborted', 'ECONNABORTED'],
  ['our own timeout', new OperationTimeoutError('connect', 10), 'connect', 'generic_timeout_error', 'ERR_PROBE_TIMEOUT'],
  ['AbortSignal.timeout reason', Object.assign(new Error('timed out'), { name: 'TimeoutError', code: 23 }), 'connect', 'generic_timeout_error', 'TimeoutError'],
  ['AbortError caused by our timeout', abortWithTimeout, 'http_round_trip', 'generic_timeout_error', 'ERR_PROBE_TIMEOUT'],
  ['a plain AbortError', plainAbort, 'connect', 'interrupted', 'ABORT_ERR'],
  ['getaddrinfo ENOTFOUND', err('ENOTFOUND', 'getaddrinfo ENOTFOUND x.example', { syscall: 'getaddrinfo' }), 'resolve', 'dns_nxdomain_error', 'ENOTFOUND'],
  ['ENODATA', err('ENODATA'), 'resolve', 'dns_no_answer', 'ENODATA'],
  ['ESERVFAIL', err('ESERVFAIL'), 'resolve', 'dns_servfail_error', 'ESERVFAIL'],
  ['EREFUSED', err('EREFUSED'), 'resolve', 'dns_refused_error', 'EREFUSED'],
  ['c-ares ETIMEOUT', err('ETIMEOUT'), 'resolve', 'generic_timeout_error', 'ETIMEOUT'],
  ['EAI_AGAIN', err('EAI_AGAIN', 'getaddrinfo EAI_AGAIN x', { syscall: 'getaddrinfo' }), 'resolve', 'dns_server_misbehaving', 'EAI_AGAIN'],
  ['EAI_FAIL', err('EAI_FAIL'), 'resolve', 'dns_server_misbehaving', 'EAI_FAIL'],
  ['c-ares ECONNREFUSED', err('ECONNREFUSED'), 'resolve', 'connection_refused', 'ECONNREFUSED'],
  ['ERR_TLS_CERT_ALTNAME_INVALID', err('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls_handshake', 'ssl_invalid_hostname', 'ERR_TLS_CERT_ALTNAME_INVALID'],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', err('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls_handshake', 'ssl_unknown_authority', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  ['SELF_SIGNED_CERT_IN_CHAIN', err('SELF_SIGNED_CERT_IN_CHAIN'), 'tls_handshake', 'ssl_unknown_authority', 'SELF_SIGNED_CERT_IN_CHAIN'],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', err('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls_handshake', 'ssl_unknown_authority', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  ['UNABLE_TO_GET_ISSUER_CERT', err('UNABLE_TO_GET_ISSUER_CERT'), 'tls_handshake', 'ssl_unknown_authority', 'UNABLE_TO_GET_ISSUER_CERT'],
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', err('UNABLE_TO_GET_ISSUER_CERT_LOCALLY'), 'tls_handshake', 'ssl_unknown_authority', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  ['CERT_HAS_EXPIRED', err('CERT_HAS_EXPIRED'), 'tls_handshake', 'ssl_invalid_certificate', 'CERT_HAS_EXPIRED'],
  ['CERT_NOT_YET_VALID', err('CERT_NOT_YET_VALID'), 'tls_handshake', 'ssl_invalid_certificate', 'CERT_NOT_YET_VALID'],
  ['another certificate error', err('CERT_SIGNATURE_FAILURE'), 'tls_handshake', 'ssl_invalid_certificate', 'CERT_SIGNATURE_FAILURE'],
  ['a handshake-failure alert', err('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'), 'tls_handshake', 'ssl_failed_handshake', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'],
  ['a wrong-version record', err('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls_handshake', 'ssl_failed_handshake', 'ERR_SSL_WRONG_VERSION_NUMBER'],
  ['the unrecognized-name alert (112)', err('ERR_SSL_TLSV1_ALERT_UNRECOGNIZED_NAME'), 'tls_handshake', 'ssl_invalid_hostname', 'ERR_SSL_TLSV1_ALERT_UNRECOGNIZED_NAME'],
  ['the unknown-CA alert (48)', err('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'tls_handshake', 'ssl_unknown_authority', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'],
  ['the certificate-expired alert (45)', err('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED'), 'tls_handshake', 'ssl_invalid_certificate', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED'],
  ['Node TLS handshake timeout', err('ERR_TLS_HANDSHAKE_TIMEOUT'), 'tls_handshake', 'generic_timeout_error', 'ERR_TLS_HANDSHAKE_TIMEOUT'],
  ['disconnected before secure TLS connection (a FIN)', err('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established'), 'tls_handshake', 'eof_error', 'ECONNRESET'],
  ['socket hang up (a FIN)', err('ECONNRESET', 'socket hang up'), 'http_round_trip', 'eof_error', 'ECONNRESET'],
  ['premature close', err('ERR_STREAM_PREMATURE_CLOSE', 'Premature close'), 'read', 'eof_error', 'ERR_STREAM_PREMATURE_CLOSE'],
  ['UND_ERR_SOCKET with a reset cause', err('UND_ERR_SOCKET', 'other side closed', { cause: err('ECONNRESET', 'read ECONNRESET', { syscall: 'read' }) }), 'http_round_trip', 'connection_reset', 'ECONNRESET'],
  ['UND_ERR_SOCKET otherwise (other side closed)', err('UND_ERR_SOCKET', 'other side closed'), 'http_round_trip', 'eof_error', 'UND_ERR_SOCKET'],
  ['UND_ERR_HEADERS_TIMEOUT', err('UND_ERR_HEADERS_TIMEOUT'), 'http_round_trip', 'generic_timeout_error', 'UND_ERR_HEADERS_TIMEOUT'],
  ['UND_ERR_BODY_TIMEOUT', err('UND_ERR_BODY_TIMEOUT'), 'http_round_trip', 'generic_timeout_error', 'UND_ERR_BODY_TIMEOUT'],
  ['UND_ERR_CONNECT_TIMEOUT', err('UND_ERR_CONNECT_TIMEOUT'), 'connect', 'generic_timeout_error', 'UND_ERR_CONNECT_TIMEOUT'],
  ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', err('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'), 'http_round_trip', 'eof_error', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'],
  ['UND_ERR_ABORTED', err('UND_ERR_ABORTED', 'Request aborted'), 'http_round_trip', 'interrupted', 'UND_ERR_ABORTED'],
  ['a wrapper whose cause has a code (fetch failed)', Object.assign(new TypeError('fetch failed'), { cause: err('ECONNREFUSED', '', { syscall: 'connect' }) }), 'http_round_trip', 'connection_refused', 'ECONNREFUSED'],
  ['a message ending in EOF', new Error('unexpected EOF'), 'read', 'eof_error', null],
  ['an unknown error (address scrubbed)', err('EWHATEVER', 'weird thing at 10.1.2.3:443 and [2001:db8::1]:80'), 'connect', 'unknown_failure: weird thing at [scrubbed] and [scrubbed]', 'EWHATEVER'],
  ['a non-Error value', 'just a string', 'connect', 'unknown_failure: just a string', null],
];

describe('classifyError', () => {
  for (const [what, e, op, failure, detail] of ROWS) {
    it(`maps ${what} to ${failure}`, () => {
      expect(classifyError(e, op)).toEqual({ failure, detail });
    });
  }
});

describe('scrubAddresses', () => {
  it('replaces IPv4 with and without port', () => {
    expect(scrubAddresses('dial 93.184.216.34:443 then 8.8.8.8')).toBe('dial [scrubbed] then [scrubbed]');
  });
  it('replaces IPv6, bracketed with port or bare', () => {
    expect(scrubAddresses('to [2606:2800:220:1::1]:443 or 2606:2800:220:1::1 or ::1')).toBe('to [scrubbed] or [scrubbed] or [scrubbed]');
  });
  it('keeps times, versions and words that only look like addresses', () => {
    expect(scrubAddresses('at 10:30:00 with v1.2.3 and 999.1.1.1 dead:beef')).toBe('at 10:30:00 with v1.2.3 and 999.1.1.1 dead:beef');
  });
});

describe('classifyError with real loopback errors', () => {
  const running: Running[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.close()));
  });

  function connectError(port: number): Promise<Error> {
    return new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('error', resolve);
    });
  }

  it('with a closed port: reports connection_refused', async () => {
    const srv = await startTcpServer(() => undefined);
    const { port } = srv;
    await srv.close();
    const e = await connectError(port);
    expect(classifyError(e, 'connect').failure).toBe('connection_refused');
  });

  it('with a server that resets the connection: reports connection_reset', async () => {
    const srv = await startTcpServer((s) => s.once('data', () => s.resetAndDestroy()));
    running.push(srv);
    const e = await new Promise<Error>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: srv.port }, () => s.write('hello'));
      s.on('error', resolve);
    });
    expect(classifyError(e, 'read')).toEqual({ failure: 'connection_reset', detail: 'ECONNRESET' });
  });

  it('with a server closing mid-handshake: reports eof_error', async () => {
    const srv = await startTcpServer((s) => s.once('data', () => s.end()));
    running.push(srv);
    const e = await new Promise<Error>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: srv.port, servername: 'example.com' });
      s.on('error', resolve);
    });
    expect(classifyError(e, 'tls_handshake').failure).toBe('eof_error');
  });
});
