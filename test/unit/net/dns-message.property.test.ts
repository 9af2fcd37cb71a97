/**
 * Property tests (fast-check) for the DNS reply parser (src/net/dns-message.ts decodeReply): on
 * any bytes it never throws and returns null or a reply whose addresses are real addresses of the
 * asked family; well-formed replies round-trip; every cut, flipped or pointer-looped variant of a
 * good reply never throws and is rejected (null) or well-shaped; a cut one yields only addresses
 * the good reply had.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isIP } from 'node:net';
import dnsPacket from 'dns-packet';
import { decodeReply, type QueryType } from '../../../src/net/dns-message.js';
import { FAILURES } from '../../../src/model/failure.js';

// A fixed seed: CI runs the same 1000 cases every time (change it locally to explore; a failure prints its seed).
const RUNS = { numRuns: 1000, seed: 20261201 };

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const hostname = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
const qtype = fc.constantFrom<QueryType>('A', 'AAAA');

/** A well-formed reply for `name`/`type` with A, AAAA and CNAME answers and an rcode. */
const goodReply = fc.record({
  id: fc.nat(0xffff),
  name: hostname,
  type: qtype,
  rcode: fc.constantFrom(0, 0, 0, 2, 3, 5, 1),
  a: fc.array(v4, { maxLength: 6 }),
  aaaa: fc.array(v6, { maxLength: 6 }),
  cname: fc.option(hostname, { nil: undefined }),
});

type Good = typeof goodReply extends fc.Arbitrary<infer T> ? T : never;

function encode(r: Good): Buffer {
  const answers: dnsPacket.Answer[] = [];
  if (r.cname !== undefined) answers.push({ type: 'CNAME', name: r.name, ttl: 60, data: r.cname });
  for (const data of r.a) answers.push({ type: 'A', name: r.name, ttl: 60, data });
  for (const data of r.aaaa) answers.push({ type: 'AAAA', name: r.name, ttl: 60, data });
  return dnsPacket.encode({ type: 'response', id: r.id, flags: dnsPacket.RECURSION_AVAILABLE | r.rcode, questions: [{ type: r.type, name: r.name, class: 'IN' }], answers });
}

function checkShape(out: ReturnType<typeof decodeReply>, type: QueryType): void {
  if (out === null) return;
  for (const a of out.addresses) expect(isIP(a)).toBe(type === 'A' ? 4 : 6);
  expect(out.rcode).toBeGreaterThanOrEqual(0);
  expect(out.rcode).toBeLessThanOrEqual(15);
  if (out.failure !== null) expect(FAILURES as readonly string[]).toContain(out.failure);
  expect(out.failure === null).toBe(out.rcode === 0 && out.addresses.length > 0);
}

describe('decodeReply (property-based)', () => {
  it('never throws on arbitrary bytes and returns null or a well-shaped reply', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), qtype, (bytes, type) => {
        checkShape(decodeReply(Buffer.from(bytes), type), type);
      }),
      RUNS,
    );
  });

  it('decodes every well-formed reply exactly', () => {
    fc.assert(
      fc.property(goodReply, (r) => {
        const out = decodeReply(encode(r), r.type);
        expect(out).not.toBeNull();
        checkShape(out, r.type);
        expect(out?.id).toBe(r.id);
        expect(out?.rcode).toBe(r.rcode);
        expect(out?.addresses).toEqual(r.type === 'A' ? r.a : r.aaaa.map((x) => out?.addresses.find((y) => isSame6(x, y)) ?? x));
      }),
      RUNS,
    );
  });

  it('a cut, bit-flipped or pointer-looped reply is rejected or yields only addresses of the original', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
      fc.record({ kind: fc.constant('loop' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(goodReply, mutation, (r, m) => {
        const good = encode(r);
        let bad: Buffer;
        if (m.kind === 'cut') bad = good.subarray(0, m.at % good.length);
        else {
          bad = Buffer.from(good);
          const at = 12 + (m.at % Math.max(1, bad.length - 13));
          if (m.kind === 'flip') bad[at] = (bad[at] ?? 0) ^ (1 << m.bit);
          else if (at + 1 < bad.length) bad.writeUInt16BE(0xc000 | at, at); // a pointer to itself
        }
        const out = decodeReply(bad, r.type);
        checkShape(out, r.type);
        if (m.kind === 'cut' && out !== null) {
          const original = new Set((r.type === 'A' ? r.a : r.aaaa).map(norm6));
          for (const a of out.addresses) expect(original.has(norm6(a))).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('regression: a reply cut inside an A record is rejected, not "45.undefined..."', () => {
    const full = dnsPacket.encode({ type: 'response', id: 1, flags: 0, questions: [{ type: 'A', name: 'x.example', class: 'IN' }], answers: [{ type: 'A', name: 'x.example', ttl: 60, data: '45.79.20.66' }] });
    expect(decodeReply(full.subarray(0, full.length - 3), 'A')).toBeNull();
    expect(decodeReply(full, 'A')?.addresses).toEqual(['45.79.20.66']);
  });
});

function norm6(a: string): string {
  return a.includes(':') ? a.split(':').map((g) => parseInt(g || '0', 16).toString(16)).join(':') : a;
}
function isSame6(a: string, b: string): boolean {
  return norm6(a) === norm6(b);
}
