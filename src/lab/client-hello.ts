/**
 * client-hello: reassembles a TLS ClientHello from the first client bytes (possibly spread over
 * several TLS records and TCP segments) and extracts the SNI (RFC 8446 section 4.1.2, RFC 6066
 * section 3). Pure functions; used by the DPI middlebox.
 */

/** ClientHelloParse: `incomplete` (need more bytes), `not_tls` (not a handshake record), or `done` with the SNI (null if absent). */
export type ClientHelloParse = { state: 'incomplete' } | { state: 'not_tls' } | { state: 'done'; sni: string | null };

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
/** Upper bound on a ClientHello we are willing to reassemble, bytes. */
const MAX_HELLO_BYTES = 64 * 1024;

/**
 * parseClientHello inspects `buf` (every client byte received so far). Returns `incomplete` until
 * the whole ClientHello handshake message has arrived, `not_tls` when the bytes are not a TLS
 * handshake (or the hello is malformed or larger than 64 KiB), else `done` with the first host_name
 * of the server_name extension. Never throws.
 */
export function parseClientHello(buf: Buffer): ClientHelloParse {
  if (buf.length === 0) return { state: 'incomplete' };
  if (buf[0] !== RECORD_HANDSHAKE) return { state: 'not_tls' };
  // Reassemble the handshake layer from consecutive handshake records.
  const parts: Buffer[] = [];
  let offset = 0;
  let have = 0;
  let need = -1;
  while (offset + 5 <= buf.length) {
    if (buf[offset] !== RECORD_HANDSHAKE) return { state: 'not_tls' };
    const len = buf.readUInt16BE(offset + 3);
    const body = buf.subarray(offset + 5, Math.min(buf.length, offset + 5 + len));
    parts.push(body);
    have += body.length;
    if (need < 0 && have >= 4) {
      const hs = Buffer.concat(parts);
      if (hs[0] !== HANDSHAKE_CLIENT_HELLO) return { state: 'not_tls' };
      need = 4 + hs.readUIntBE(1, 3);
      if (need > MAX_HELLO_BYTES) return { state: 'not_tls' };
    }
    if (need >= 0 && have >= need) break;
    if (body.length < len) return { state: 'incomplete' };
    offset += 5 + len;
  }
  if (need < 0 || have < need) return { state: 'incomplete' };
  const hello = Buffer.concat(parts).subarray(4, need);
  try {
    return { state: 'done', sni: extractSni(hello) };
  } catch {
    return { state: 'not_tls' };
  }
}

function extractSni(hello: Buffer): string | null {
  let p = 2 + 32; // legacy_version, random
  p += 1 + hello.readUInt8(p); // session id
  p += 2 + hello.readUInt16BE(p); // cipher suites
  p += 1 + hello.readUInt8(p); // compression methods
  if (p + 2 > hello.length) return null; // no extensions
  const end = p + 2 + hello.readUInt16BE(p);
  p += 2;
  while (p + 4 <= end) {
    const type = hello.readUInt16BE(p);
    const len = hello.readUInt16BE(p + 2);
    const data = hello.subarray(p + 4, p + 4 + len);
    if (type === EXT_SERVER_NAME) {
      let q = 2; // server_name_list length
      while (q + 3 <= data.length) {
        const nameType = data.readUInt8(q);
        const nameLen = data.readUInt16BE(q + 1);
        if (nameType === 0) return data.subarray(q + 3, q + 3 + nameLen).toString('latin1');
        q += 3 + nameLen;
      }
      return null;
    }
    p += 4 + len;
  }
  return null;
}
