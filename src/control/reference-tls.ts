/**
 * The TLS variant of the helper's reference stream (docs/throttling.md "Arms": the other path for
 * https targets). The helper's port accepts TLS as well as plain HTTP: the first byte of a new
 * connection decides (22, a TLS handshake record, RFC 8446 section 5.1, goes through a TLS server
 * with a self-signed certificate that accepts any SNI; anything else is plain HTTP), and both end
 * in the same HTTP request handler, so `GET /x/reference-stream?bytes=N` over TLS serves the same
 * stream. The probe never verifies this certificate: only timings are used.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import type http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** How long a new connection may stay silent before its first byte, ms (then it is closed). */
export const SNIFF_TIMEOUT_MS = 10_000;

/** First byte of a TLS handshake record. */
const TLS_HANDSHAKE = 22;

let pair: Promise<{ key: string; cert: string }> | null = null;

/** selfSignedPair makes (once per process) an ECDSA P-256 self-signed certificate for `censorprobe-reference.invalid`. */
export function selfSignedPair(): Promise<{ key: string; cert: string }> {
  pair ??= (async () => {
    const alg: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=censorprobe-reference.invalid',
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 365 * 86_400_000),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'censorprobe-reference.invalid' }])],
    });
    const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return { key: x509.PemConverter.encode(der, 'PRIVATE KEY'), cert: cert.toString('pem') };
  })();
  return pair;
}

const sniffed = new WeakSet<object>();

/**
 * acceptTlsToo makes `server` (the helper's HTTP server) accept TLS on the same port: the
 * 'connection' listeners present now are called with the decrypted socket for TLS connections and
 * with the original one for plain ones. Call it once, right after creating the server. Never throws;
 * a connection that fails its TLS handshake or says nothing for SNIFF_TIMEOUT_MS is destroyed.
 */
export function acceptTlsToo(server: http.Server): void {
  void selfSignedPair().catch(() => undefined); // made now, so that the first TLS client does not wait for it
  const listeners = server.listeners('connection') as ((s: net.Socket) => void)[];
  server.removeAllListeners('connection');
  const toHttp = (socket: net.Socket): void => {
    sniffed.add(socket);
    for (const l of listeners) l.call(server, socket);
  };
  let tlsServer: tls.Server | null = null;
  const toTls = async (socket: net.Socket): Promise<void> => {
    if (tlsServer === null) {
      const { key, cert } = await selfSignedPair();
      tlsServer ??= tls.createServer({ key, cert, ALPNProtocols: ['http/1.1'] }, (s) => toHttp(s));
      tlsServer.on('tlsClientError', (_e, s) => s.destroy());
    }
    tlsServer.emit('connection', socket);
  };
  // Sockets still waiting for their first byte belong to no server yet: closing the helper must
  // close them too (http.Server tracks only the connections it was handed).
  const waiting = new Set<net.Socket>();
  for (const method of ['closeAllConnections', 'closeIdleConnections'] as const) {
    const original = server[method].bind(server);
    server[method] = (): void => {
      for (const s of waiting) s.destroy();
      waiting.clear();
      original();
    };
  }
  server.on('connection', (socket: net.Socket) => {
    if (sniffed.has(socket)) return toHttp(socket);
    socket.on('error', () => socket.destroy());
    const timer = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS);
    waiting.add(socket);
    socket.once('close', () => {
      clearTimeout(timer);
      waiting.delete(socket);
    });
    socket.once('readable', () => {
      clearTimeout(timer);
      const first = socket.read() as Buffer | null;
      if (first === null) {
        socket.destroy(); // the client ended before its first byte
        return;
      }
      socket.unshift(first);
      waiting.delete(socket);
      if (first[0] === TLS_HANDSHAKE) toTls(socket).catch(() => socket.destroy());
      else toHttp(socket);
    });
  });
}
