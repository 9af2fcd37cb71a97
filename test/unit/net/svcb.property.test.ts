/**
 * Property tests (fast-check) for the SVCB/HTTPS parser (src/net/svcb.ts): on any bytes
 * `parseSvcbRdata` and `decodeHttpsReply` never throw and return null or a bounded, well-shaped
 * value; a record written by the lab's encoder (src/lab/https-record.ts) parses back to what was
 * written; every cut of such a record is null or a record (never a throw).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import dnsPacket from 'dns-packet';
import { decodeHttpsReply, MAX_ALPN_IDS, MAX_HTTPS_RECORDS, parseSvcbRdata, type SvcbRecord } from '../../../src/net/svcb.js';
import { encodeHttpsRdata, type HttpsRecordSpec } from '../../../src/lab/https-record.js';
import { FAILURES } from '../../../src/model/failure.js';

// A fixed seed: CI runs the same cases every time (change it locally to explore; a failure prints its seed).
const RUNS = { numRuns: 1000, seed: 20261202 };

function checkRecord(r: SvcbRecord | null): void {
  if (r === null) return;
  expect(r.priority).toBeGreaterThanOrEqual(0);
  expect(r.priority).toBeLessThanOrEqual(0xffff);
  expect(r.target.endsWith('.')).toBe(true);
  expect(r.alpn.length).toBeLessThanOrEqual(MAX_ALPN_IDS);
  if (r.port !== null) expect(r.port).toBeLessThanOrEqual(0xffff);
  if (r.echBytes !== null) expect(r.echBytes).toBeGreaterThan(0);
}

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const name = fc.oneof(fc.constant('.'), fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => `${l.join('.')}.`));
const alpnId = fc.stringMatching(/^[a-z0-9/.-]{1,12}$/);
const spec: fc.Arbitrary<HttpsRecordSpec> = fc.record(
  {
    priority: fc.integer({ min: 1, max: 0xffff }),
    target: name,
    alpn: fc.array(alpnId, { minLength: 1, maxLength: 6 }),
    port: fc.integer({ min: 1, max: 65535 }),
    ech: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b).toString('base64')),
  },
  { requiredKeys: ['priority', 'target'] },
);

describe('parseSvcbRdata (property)', () => {
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        checkRecord(parseSvcbRdata(bytes));
      }),
      RUNS,
    );
  });

  it('parses back what the lab encodes', () => {
    fc.assert(
      fc.property(spec, (s) => {
        const r = parseSvcbRdata(encodeHttpsRdata(s));
        expect(r).toEqual({
          priority: s.priority,
          target: s.target,
          alpn: s.alpn ?? [],
          port: s.port ?? null,
          echBytes: s.ech !== undefined ? Buffer.from(s.ech, 'base64').length : null,
        });
      }),
      RUNS,
    );
  });

  it('never throws on a cut or bit-flipped record', () => {
    fc.assert(
      fc.property(spec, fc.nat(), fc.nat(), fc.nat(255), (s, cut, at, xor) => {
        const good = encodeHttpsRdata(s);
        checkRecord(parseSvcbRdata(good.subarray(0, cut % (good.length + 1))));
        const flipped = Buffer.from(good);
        flipped[at % flipped.length] = (flipped[at % flipped.length] ?? 0) ^ xor;
        checkRecord(parseSvcbRdata(flipped));
      }),
      RUNS,
    );
  });
});

describe('decodeHttpsReply (property)', () => {
  it('never throws on random bytes, and a reply is well-shaped', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = decodeHttpsReply(bytes, 'www.example.com');
        if (r === null) return;
        expect(r.records.length).toBeLessThanOrEqual(MAX_HTTPS_RECORDS);
        if (r.failure !== null) expect(FAILURES as readonly string[]).toContain(r.failure);
        r.records.forEach(checkRecord);
      }),
      RUNS,
    );
  });

  it('never throws on a cut or flipped reply carrying records', () => {
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(), fc.nat(255), (specs, cut, at, xor) => {
        const good = dnsPacket.encode({
          type: 'response',
          id: 1,
          flags: dnsPacket.RECURSION_AVAILABLE,
          questions: [{ type: 'UNKNOWN_65' as dnsPacket.RecordType, name: 'x.example', class: 'IN' }],
          answers: specs.map((s) => ({ name: 'x.example', type: 'UNKNOWN_65', ttl: 60, data: encodeHttpsRdata(s) }) as unknown as dnsPacket.Answer),
        });
        expect(decodeHttpsReply(good, 'x.example')?.records).toHaveLength(specs.length);
        decodeHttpsReply(good.subarray(0, cut % (good.length + 1)), 'x.example');
        const flipped = Buffer.from(good);
        flipped[at % flipped.length] = (flipped[at % flipped.length] ?? 0) ^ xor;
        decodeHttpsReply(flipped, 'x.example');
      }),
      RUNS,
    );
  });
});
