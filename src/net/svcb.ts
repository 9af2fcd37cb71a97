/**
 * SVCB / HTTPS resource records (RFC 9460): a pure, bounded parser of the RDATA of one record and
 * of the answer section of a reply to an HTTPS (type 65) query. dns-packet 5.6.1 does not know
 * type 65: it hands the RDATA over as raw bytes, which this module reads.
 *
 * Everything here reads untrusted bytes: every length is checked against the bytes present,
 * counts are capped, and nothing throws; a malformed record is `null` (RFC 9460 section 2.2 and
 * 7: a client ignores a malformed RR). Sources: RFC 9460 sections 2.2 (wire format, strictly
 * increasing keys, uncompressed TargetName), 7.1 (alpn), 7.2 (port), 7.3 (ipv4hint/ipv6hint),
 * 8 (mandatory), 14.3.2 (key numbers); draft-ietf-tls-svcb-ech section 2 (`ech` = key 5, an
 * ECHConfigList). Test vectors: RFC 9460 Appendix D (test/unit/net/svcb.test.ts).
 */
import type DnsPacket from 'dns-packet';
import type { Failure } from '../model/failure.js';
import { dnsCodec, replyFailure } from './dns-message.js';

/** The record type number of HTTPS (RFC 9460 section 14.1). */
export const HTTPS_RR_TYPE = 65;

/** SvcParamKey numbers this parser checks (RFC 9460 section 14.3.2; `ech` from draft-ietf-tls-svcb-ech). */
export const SVC_PARAM_KEY = { mandatory: 0, alpn: 1, noDefaultAlpn: 2, port: 3, ipv4hint: 4, ech: 5, ipv6hint: 6 } as const;

/** Most SvcParams read from one record (more: the record is treated as malformed). */
export const MAX_SVC_PARAMS = 64;
/** Most alpn ids kept per record (the rest are still checked). */
export const MAX_ALPN_IDS = 8;
/** Bytes of one alpn id rendered (a longer id ends in `...`). */
export const MAX_ALPN_ID_BYTES = 32;
/** Most records kept from one reply. */
export const MAX_HTTPS_RECORDS = 16;
/** Longest CNAME chain followed inside one answer section. */
export const MAX_CNAME_HOPS = 8;

/**
 * SvcbRecord: one parsed record.
 * - `priority`: SvcPriority, 0 = AliasMode (then the params are ignored, RFC 9460 section 2.4.2);
 * - `target`: TargetName in presentation form with a trailing dot (`.` = the owner name itself);
 * - `alpn`: the `alpn` ids in order (at most {@link MAX_ALPN_IDS}; the rest are checked, not
 *   kept), [] when absent;
 * - `port`: the `port` param, or null;
 * - `echBytes`: the byte length of the `ech` param (an ECHConfigList), or null when absent.
 */
export interface SvcbRecord {
  priority: number;
  target: string;
  alpn: string[];
  port: number | null;
  echBytes: number | null;
}

/**
 * parseSvcbRdata parses the RDATA of one SVCB or HTTPS record (RFC 9460 section 2.2): SvcPriority
 * (u16), TargetName (an uncompressed wire-format name), then SvcParams (key u16, length u16,
 * value) filling the RDATA exactly, keys strictly increasing. Checked values: `mandatory`
 * (non-empty, a multiple of 2 bytes), `alpn` (non-empty length-prefixed ids filling the value
 * exactly, none empty), `no-default-alpn` (empty), `port` (2 bytes), `ipv4hint` / `ipv6hint`
 * (non-empty multiples of 4 / 16 bytes), `ech` (non-empty); other keys are skipped. Returns null
 * for a malformed record (a compression pointer in the name, a length past the end, keys out of
 * order, a bad value, more than {@link MAX_SVC_PARAMS} params). Pure; never throws.
 */
export function parseSvcbRdata(rdata: Uint8Array): SvcbRecord | null {
  if (rdata.length < 3) return null;
  const priority = u16(rdata, 0);
  const name = readName(rdata, 2);
  if (name === null) return null;
  const out: SvcbRecord = { priority, target: name.text, alpn: [], port: null, echBytes: null };
  // AliasMode: "recipients MUST ignore any SvcParams that are present" (RFC 9460 section 2.4.2).
  if (priority === 0) return out;
  let off = name.next;
  let lastKey = -1;
  let count = 0;
  while (off < rdata.length) {
    if (off + 4 > rdata.length || ++count > MAX_SVC_PARAMS) return null;
    const key = u16(rdata, off);
    const len = u16(rdata, off + 2);
    const start = off + 4;
    if (key <= lastKey || start + len > rdata.length) return null;
    lastKey = key;
    if (!readParam(out, key, rdata.subarray(start, start + len))) return null;
    off = start + len;
  }
  return out;
}

/** Applies one SvcParam to `out`; false when its value is malformed. */
function readParam(out: SvcbRecord, key: number, value: Uint8Array): boolean {
  switch (key) {
    case SVC_PARAM_KEY.mandatory:
      return value.length > 0 && value.length % 2 === 0;
    case SVC_PARAM_KEY.alpn:
      return readAlpn(out, value);
    case SVC_PARAM_KEY.noDefaultAlpn:
      return value.length === 0;
    case SVC_PARAM_KEY.port:
      if (value.length !== 2) return false;
      out.port = u16(value, 0);
      return true;
    case SVC_PARAM_KEY.ipv4hint:
      return value.length > 0 && value.length % 4 === 0;
    case SVC_PARAM_KEY.ipv6hint:
      return value.length > 0 && value.length % 16 === 0;
    case SVC_PARAM_KEY.ech:
      if (value.length === 0) return false;
      out.echBytes = value.length;
      return true;
    default:
      return true;
  }
}

/** The alpn value: length-prefixed ids that fill it exactly (RFC 9460 section 7.1.1). */
function readAlpn(out: SvcbRecord, value: Uint8Array): boolean {
  if (value.length === 0) return false;
  let off = 0;
  while (off < value.length) {
    const len = value[off] ?? 0;
    if (len === 0 || off + 1 + len > value.length) return false;
    const id = value.subarray(off + 1, off + 1 + len);
    const text = presentation(id.subarray(0, MAX_ALPN_ID_BYTES), ',') + (len > MAX_ALPN_ID_BYTES ? '...' : '');
    if (out.alpn.length < MAX_ALPN_IDS) out.alpn.push(text);
    off += 1 + len;
  }
  return true;
}

/**
 * readName reads an uncompressed wire-format name at `off` (labels of 1-63 bytes ending with the
 * root label, at most 255 bytes in all, RFC 1035 section 3.1): its presentation form with a
 * trailing dot and the offset after it; null on a pointer, a reserved label type or a cut name.
 */
function readName(b: Uint8Array, off: number): { text: string; next: number } | null {
  const labels: string[] = [];
  let total = 0;
  for (;;) {
    if (off >= b.length) return null;
    const len = b[off] ?? 0;
    if (len === 0) break;
    // 0xC0 is a compression pointer, 0x40/0x80 reserved types: none is allowed (RFC 9460 section 2.2).
    if (len > 63 || off + 1 + len > b.length) return null;
    total += 1 + len;
    if (total + 1 > 255) return null;
    labels.push(presentation(b.subarray(off + 1, off + 1 + len), '.'));
    off += 1 + len;
  }
  return { text: labels.length === 0 ? '.' : `${labels.join('.')}.`, next: off + 1 };
}

/**
 * presentation renders bytes as zone-file text (RFC 1035 section 5.1): printable ASCII as is,
 * `\` and `special` escaped with a backslash, other bytes as `\DDD`. Pure.
 */
function presentation(bytes: Uint8Array, special: string): string {
  let s = '';
  for (const c of bytes) {
    const ch = String.fromCharCode(c);
    if (c > 0x20 && c < 0x7f) s += ch === '\\' || (special !== '' && ch === special) ? `\\${ch}` : ch;
    else s += `\\${String(c).padStart(3, '0')}`;
  }
  return s;
}

function u16(b: Uint8Array, off: number): number {
  return ((b[off] ?? 0) << 8) | (b[off + 1] ?? 0);
}

/**
 * DecodedHttpsReply: a reply to an HTTPS query. `rcode` 0-15; `records` the parsed records owned
 * by the queried name or, when the answer carries a CNAME chain for it, by the chain's last name
 * (at most {@link MAX_HTTPS_RECORDS}); `malformed` the HTTPS records of that owner that did not
 * parse; `truncated` the TC bit; `failure` as for A/AAAA (rcode rules; NOERROR without a usable
 * record → dns_no_answer).
 */
export interface DecodedHttpsReply {
  id: number;
  rcode: number;
  records: SvcbRecord[];
  malformed: number;
  truncated: boolean;
  failure: Failure | null;
}

/**
 * decodeHttpsReply decodes a reply to an HTTPS query for `qname`. Follows CNAME records of the
 * answer section from `qname` (at most {@link MAX_CNAME_HOPS}; never asks again), then parses
 * the type-65 records of the final owner with {@link parseSvcbRdata}. rcode rules as
 * `decodeReply` in dns-message.ts (OONI `dnsdecoder.go`): 3 → dns_nxdomain_error, 5 →
 * dns_refused_error, 2 → dns_servfail_error, other non-zero → dns_server_misbehaving. Returns
 * null when the bytes are not a well-formed DNS response (undecodable, or shorter than they
 * declare). Pure; never throws (property-tested: test/unit/net/svcb.property.test.ts).
 */
export function decodeHttpsReply(raw: Uint8Array, qname: string): DecodedHttpsReply | null {
  let packet: ReturnType<typeof DnsPacket.decode>;
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    packet = dnsCodec().decode(buf);
  } catch {
    return null;
  }
  // dns-packet does not check bounds (see decodeReply): a message cut inside a record is malformed.
  const bytes = (dnsCodec().decode as { bytes?: number }).bytes;
  if (bytes === undefined || bytes > buf.length || packet.type !== 'response') return null;
  const flags = packet.flags ?? 0;
  const rcode = flags & 0xf;
  // Every record but OPT has `data` (a string for CNAME, raw bytes for an unknown type).
  const answers = (packet.answers ?? []).map((rr) => ({ type: rr.type as string, name: rr.name, data: 'data' in rr ? (rr.data as unknown) : undefined }));
  const norm = (n: string): string => n.toLowerCase().replace(/\.$/, '');
  let owner = norm(qname);
  for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
    const cname = answers.find((rr) => rr.type === 'CNAME' && norm(rr.name) === owner);
    if (cname === undefined || typeof cname.data !== 'string') break;
    owner = norm(cname.data);
  }
  const records: SvcbRecord[] = [];
  let malformed = 0;
  for (const rr of answers) {
    if (rr.type !== `UNKNOWN_${HTTPS_RR_TYPE}` || norm(rr.name) !== owner || !Buffer.isBuffer(rr.data)) continue;
    const rec = parseSvcbRdata(rr.data);
    if (rec === null) malformed++;
    else if (records.length < MAX_HTTPS_RECORDS) records.push(rec);
  }
  const failure = replyFailure(rcode, records.length);
  return { id: packet.id ?? 0, rcode, records, malformed, truncated: (flags & dnsCodec().TRUNCATED_RESPONSE) !== 0, failure };
}

/**
 * encodeHttpsQuery builds an HTTPS (type 65) query for `hostname` with `id` (0 for DoH, RFC 8484
 * section 4.1): RD set, class IN, and an EDNS(0) OPT record offering 1232-byte UDP replies (the
 * DNS Flag Day 2020 size), since records carrying an ECHConfigList can outgrow 512 bytes. Throws
 * only on an unencodable name (programmer error: hostnames are normalised before).
 */
export function encodeHttpsQuery(hostname: string, id: number): Buffer {
  return dnsCodec().encode({
    type: 'query',
    id,
    flags: dnsCodec().RECURSION_DESIRED,
    // dns-packet names an unknown type `UNKNOWN_<n>` and encodes it as that number.
    questions: [{ type: `UNKNOWN_${HTTPS_RR_TYPE}` as DnsPacket.RecordType, name: hostname, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  });
}
