/**
 * https-record: the RDATA of an HTTPS (type 65) record the lab's resolvers serve (RFC 9460
 * section 2.2 wire format; `ech` from draft-ietf-tls-svcb-ech), from a scenario's `https` entry.
 * The probe's parser is src/net/svcb.ts; this is its counterpart for the lab's world.
 */

/**
 * HttpsRecordSpec: one HTTPS record in a lab DNS table (scenario JSON).
 * - `priority` (required): SvcPriority 0-65535 (0 = AliasMode: params are not written);
 * - `target` (required): TargetName, `.` for the owner itself, else a name (trailing dot optional);
 * - `alpn` (optional): alpn ids, e.g. `["h2", "h3"]`;
 * - `port` (optional): 1-65535;
 * - `ech` (optional): the ECHConfigList, base64 (the lab never uses it: any non-empty bytes do).
 */
export interface HttpsRecordSpec {
  priority: number;
  target: string;
  alpn?: string[];
  port?: number;
  ech?: string;
}

/**
 * encodeHttpsRdata: the RDATA bytes of `spec`, params in increasing key order (alpn = 1,
 * port = 3, ech = 5). Throws RangeError on a spec that cannot be encoded (a label over 63 bytes,
 * an empty or over-long alpn id, a bad port or priority, an empty ech): scenario files are
 * validated before use, so this is a programmer error.
 */
export function encodeHttpsRdata(spec: HttpsRecordSpec): Buffer {
  if (!Number.isInteger(spec.priority) || spec.priority < 0 || spec.priority > 0xffff) throw new RangeError(`HTTPS record: bad priority ${spec.priority}`);
  const parts: Buffer[] = [u16(spec.priority), encodeName(spec.target)];
  if (spec.priority !== 0) {
    if (spec.alpn !== undefined) {
      const ids = spec.alpn.map((id) => Buffer.from(id, 'utf8'));
      if (ids.length === 0 || ids.some((b) => b.length === 0 || b.length > 255)) throw new RangeError('HTTPS record: alpn ids must be 1-255 bytes, at least one');
      parts.push(param(1, Buffer.concat(ids.flatMap((b) => [Buffer.from([b.length]), b]))));
    }
    if (spec.port !== undefined) {
      if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) throw new RangeError(`HTTPS record: bad port ${spec.port}`);
      parts.push(param(3, u16(spec.port)));
    }
    if (spec.ech !== undefined) {
      const ech = Buffer.from(spec.ech, 'base64');
      if (ech.length === 0) throw new RangeError('HTTPS record: empty ech');
      parts.push(param(5, ech));
    }
  }
  return Buffer.concat(parts);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function param(key: number, value: Buffer): Buffer {
  if (value.length > 0xffff) throw new RangeError('HTTPS record: param too long');
  return Buffer.concat([u16(key), u16(value.length), value]);
}

/** An uncompressed wire-format name (RFC 1035 section 3.1); `.` is the root. */
function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const parts = labels.map((l) => {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new RangeError(`HTTPS record: label too long in ${name}`);
    return Buffer.concat([Buffer.from([b.length]), b]);
  });
  const out = Buffer.concat([...parts, Buffer.from([0])]);
  if (out.length > 255) throw new RangeError(`HTTPS record: name too long: ${name}`);
  return out;
}
