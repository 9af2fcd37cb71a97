/**
 * dns-server: the lab's UDP/53 resolvers (dns-packet), with docs/lab.md semantics: a missing
 * name is NXDOMAIN; A queries get the table's A records with TTL 3600; AAAA gets the table's AAAA
 * records (none in the standard world, so an empty NOERROR); HTTPS (type 65) gets the table's
 * `https` records (none in the standard world); a CNAME is answered as a real chain
 * (the CNAME records, then the final name's records, {@link chainAnswers}); a query
 * with no question, several questions or a class other than IN gets REFUSED;
 * `whoami.v4.powerdns.org` answers the querier's own address. DNS censor rules (scenario `dns`
 * rules) forge the answer for queries coming from the probe's address only, and the genuine answer
 * follows RACE_DELAY_MS later (on-path injection racing the real resolver).
 */
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import type { Answer, Packet } from 'dns-packet';
import type { DnsRule } from './scenario.js';
import type { DnsTable } from './world-hosts.js';
import { hostileDnsReply } from './hostile.js';
import { encodeHttpsRdata } from './https-record.js';

/** TTL of every answer record, seconds (docs/lab.md). */
export const DNS_TTL_S = 3600;

const RCODE_NOERROR = 0;
const RCODE_NXDOMAIN = 3;
const RCODE_REFUSED = 5;
const FLAG_RA = dnsPacket.RECURSION_AVAILABLE;
const FLAG_RD = dnsPacket.RECURSION_DESIRED;

/** DnsServerOptions: one resolver address and the table it answers from. */
export interface DnsServerOptions {
  /** IPv4 address to bind (port 53 unless `port`). */
  address: string;
  /** UDP port. Optional; default 53. */
  port?: number;
  /** The record table (shared by reference, so later edits apply). */
  table: DnsTable;
  /** Forgery rules applied to queries whose source address is `probeAddress`. Optional. */
  censor?: DnsRule[];
  /** The probe's source address, for `censor`. Optional. */
  probeAddress?: string;
}

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function reply(query: Packet, rcode: number, answers: Answer[] = []): Buffer {
  const rd = (query.flags ?? 0) & FLAG_RD;
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    flags: FLAG_RA | rd | rcode,
    questions: query.questions ?? [],
    answers,
  });
}

/**
 * RACE_DELAY_MS: how long after the forged reply the genuine reply is sent, ms (docs/lab.md:
 * "the genuine answer arrives a couple of milliseconds later"), so a UDP client that keeps listening
 * records it as a late reply.
 */
export const RACE_DELAY_MS = 2;

/**
 * isForged says whether a DNS censor rule of `opts` applies to the raw query `raw` from `from`
 * (the probe's address and a single question whose name has a rule). Pure; false for unparsable bytes.
 */
export function isForged(raw: Buffer, from: string, opts: DnsServerOptions): boolean {
  if (opts.probeAddress === undefined || from !== opts.probeAddress || !opts.censor?.length) return false;
  let query: Packet;
  try {
    query = dnsPacket.decode(raw);
  } catch {
    return false;
  }
  const q = query.questions?.[0];
  if (query.questions?.length !== 1 || q === undefined) return false;
  const name = normaliseName(q.name);
  return opts.censor.some((r) => normaliseName(r.name) === name && r.action !== 'drop');
}

/**
 * answerQuery computes the reply bytes for one raw DNS query (pure, no I/O). `from` is the
 * querier's IPv4 address. Returns null (no reply) when the bytes are too short to carry an id, or
 * when a `drop` rule matches the probe's query.
 */
export function answerQuery(raw: Buffer, from: string, opts: DnsServerOptions): Buffer | null {
  let query: Packet;
  try {
    query = dnsPacket.decode(raw);
  } catch {
    if (raw.length < 2) return null;
    return dnsPacket.encode({ type: 'response', id: raw.readUInt16BE(0), flags: FLAG_RA | RCODE_REFUSED });
  }
  const questions = query.questions ?? [];
  const q = questions[0];
  if (questions.length !== 1 || q === undefined || (q.class !== undefined && q.class !== 'IN')) {
    return reply({ ...query, questions }, RCODE_REFUSED);
  }
  const hostile = hostileDnsReply(query);
  if (hostile !== undefined) return hostile;
  const name = normaliseName(q.name);
  const base = { name: q.name, ttl: DNS_TTL_S, class: 'IN' as const };
  if (name === 'whoami.v4.powerdns.org') {
    return reply(query, RCODE_NOERROR, q.type === 'A' ? [{ ...base, type: 'A', data: from }] : []);
  }
  // Resolver whoami names (docs/measurement-model.md, "Resolver identity"): on the internet the
  // authoritative server answers the address the RESOLVER's query came from; a lab resolver is
  // its own egress, so it answers its own address.
  if (name === 'whoami.akamai.net') {
    return reply(query, RCODE_NOERROR, q.type === 'A' ? [{ ...base, type: 'A', data: opts.address }] : []);
  }
  if (name === 'o-o.myaddr.l.google.com') {
    return reply(query, RCODE_NOERROR, q.type === 'TXT' ? [{ ...base, type: 'TXT', data: opts.address }] : []);
  }
  if (opts.probeAddress !== undefined && from === opts.probeAddress) {
    const rule = opts.censor?.find((r) => normaliseName(r.name) === name);
    if (rule) {
      // A censor that silently drops the query: no reply at all (the probe times out).
      if (rule.action === 'drop') return null;
      if (rule.action === 'nxdomain') return reply(query, RCODE_NXDOMAIN);
      const forged = q.type === 'A' ? (rule.a ?? []).map((data): Answer => ({ ...base, type: 'A', data })) : [];
      return reply(query, RCODE_NOERROR, forged);
    }
  }
  const record = opts.table[name];
  if (record === undefined) return reply(query, RCODE_NXDOMAIN);
  return reply(query, RCODE_NOERROR, chainAnswers(opts.table, q.name, q.type));
}

/** dns-packet's name of the HTTPS record type (65), which it does not know. */
const HTTPS_QTYPE = 'UNKNOWN_65';

/** Longest CNAME chain the lab resolvers follow (a loop or a longer chain stops there). */
export const MAX_CNAME_HOPS = 8;

/**
 * chainAnswers: the answer section for `qname`/`qtype` as a recursive resolver sends it: each
 * CNAME of the chain (owner = the alias), then the records of the type asked for under the final
 * name, A, AAAA or HTTPS (RFC 1034 section 4.3.2; glibc checks the owners of the chain and drops
 * answers whose owner is not the name it followed). A record with both a `cname` and addresses (older scenario files)
 * answers those addresses under the CNAME target when the target has no entry of its own. Pure.
 */
export function chainAnswers(table: DnsTable, qname: string, qtype: string): Answer[] {
  const answers: Answer[] = [];
  let owner = qname;
  let record = table[normaliseName(qname)];
  const seen = new Set<string>();
  while (record?.cname !== undefined && seen.size < MAX_CNAME_HOPS && !seen.has(normaliseName(owner))) {
    seen.add(normaliseName(owner));
    answers.push({ name: owner, ttl: DNS_TTL_S, class: 'IN', type: 'CNAME', data: record.cname });
    const target = table[normaliseName(record.cname)];
    const fallback = record;
    owner = record.cname;
    record = target ?? { ...(fallback.a ? { a: fallback.a } : {}), ...(fallback.aaaa ? { aaaa: fallback.aaaa } : {}) };
  }
  if (record?.cname === undefined) {
    if (qtype === 'A') for (const data of record?.a ?? []) answers.push({ name: owner, ttl: DNS_TTL_S, class: 'IN', type: 'A', data });
    if (qtype === 'AAAA') for (const data of record?.aaaa ?? []) answers.push({ name: owner, ttl: DNS_TTL_S, class: 'IN', type: 'AAAA', data });
    // HTTPS (type 65): dns-packet names it UNKNOWN_65 and writes raw RDATA (https-record.ts).
    if (qtype === HTTPS_QTYPE) for (const spec of record?.https ?? []) answers.push({ name: owner, ttl: DNS_TTL_S, class: 'IN', type: HTTPS_QTYPE, data: encodeHttpsRdata(spec) } as unknown as Answer);
  }
  return answers;
}

/**
 * startDnsServer binds a UDP resolver on `opts.address:opts.port`. Resolves to the bound socket once
 * listening; rejects with the bind error (e.g. EADDRNOTAVAIL when the address is not on `lo`).
 */
export function startDnsServer(opts: DnsServerOptions): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  const genuineOpts: DnsServerOptions = { ...opts, censor: [] };
  socket.on('message', (msg, rinfo) => {
    const out = answerQuery(msg, rinfo.address, opts);
    if (!out) return;
    socket.send(out, rinfo.port, rinfo.address);
    if (isForged(msg, rinfo.address, opts)) {
      // On-path injection races the resolver: the forged reply (above) arrives first and the
      // genuine one RACE_DELAY_MS later, as netem's SpoofDNSResponse does (docs/lab.md).
      const genuine = answerQuery(msg, rinfo.address, genuineOpts);
      if (genuine) setTimeout(() => socket.send(genuine, rinfo.port, rinfo.address), RACE_DELAY_MS);
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: opts.address, port: opts.port ?? 53 }, () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}
