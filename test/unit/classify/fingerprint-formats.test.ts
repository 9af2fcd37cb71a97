/**
 * Fingerprint file formats beyond our own: OONI's fastpath JSON, Censored Planet false positives
 * recognised by id prefix, RE2 patterns (linear time, or refused with the reason), and matching in
 * the body's declared charset.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileLinear } from '../../../src/classify/fingerprint-parse.js';
import { createFingerprintSet, formatFingerprintError, matchHttpResponse, parseFingerprints } from '../../../src/classify/index.js';
import type { HttpRequestObservation } from '../../../src/model/index.js';

const FP = join(import.meta.dirname, '../../../fixtures/fingerprints');

function response(body: string | Buffer, headers: [string, string][] = []): HttpRequestObservation {
  return {
    network: 'tcp', address: '10.0.0.1:80',
    request: { method: 'GET', url: 'http://x.example/', headers: {}, headers_list: [], body: '', body_is_truncated: false, x_transport: 'tcp' },
    response: {
      code: 200, headers: Object.fromEntries(headers), headers_list: headers,
      body: typeof body === 'string' ? body : { format: 'base64', data: body.toString('base64') },
      body_is_truncated: false, body_length: body.length, title: '',
    },
    failure: null, t0: 0, t: 0, transaction_id: 1, depth: 0, tags: [],
  };
}

describe('OONI fastpath JSON fingerprints', () => {
  it('loads the real fastpath files (1699 HTTP, 150 DNS) with their scope, countries and confidence', () => {
    const http = parseFingerprints(readFileSync(join(FP, 'ooni-fastpath-fingerprints_http.json'), 'utf8'), 'http.json');
    expect(http).toMatchObject({ format: 'ooni-json', errors: [] });
    expect(http.fingerprints).toHaveLength(1699);
    expect(http.fingerprints.find((f) => f.id === 'ooni.ru_6')).toMatchObject({ kind: 'blockpage', location: 'header.location', pattern_type: 'prefix', pattern: 'http://warning.rt.ru', countries: ['RU'] });
    const dns = parseFingerprints(readFileSync(join(FP, 'ooni-fastpath-fingerprints_dns.json'), 'utf8'), 'dns.json');
    expect(dns.fingerprints.find((f) => f.id === 'ooni.ir_10dot10_ipv4_1')).toMatchObject({ location: 'dns', pattern: '10.10.34.36', confidence: 10 });
  });

  it('reports a bad entry by its 1-based index and keeps the others', () => {
    const p = parseFingerprints('[{"name":"a","location_found":"body","pattern_type":"contains","pattern":"x","scope":"isp"}, 3, {"name":"b","location_found":"nowhere","pattern_type":"contains","pattern":"y"}]', 'f.json');
    expect(p.fingerprints.map((f) => f.id)).toEqual(['ooni.a']);
    expect(p.errors.map(formatFingerprintError)).toEqual(['f.json:2: entry is not a JSON object', "f.json:3: 'location_found' must be body, dns or header.<name>, got 'nowhere'"]);
  });
});

describe('Censored Planet fingerprints', () => {
  it('tells false positives from blockpages by the published id prefixes, whatever the file is called', () => {
    const text = readFileSync(join(FP, 'cp-real-false_positive_signatures.json'), 'utf8');
    const renamed = parseFingerprints(text, 'signatures.jsonl');
    expect(renamed.errors).toEqual([]);
    expect(renamed.fingerprints.length).toBe(460);
    expect(renamed.fingerprints.every((f) => f.kind === 'false_positive')).toBe(true);
    const block = parseFingerprints(readFileSync(join(FP, 'cp-real-blockpage_signatures.json'), 'utf8'), 'false_positive_named.json');
    expect(block.fingerprints.length).toBe(622);
    expect(block.fingerprints.every((f) => f.kind === 'blockpage')).toBe(true);
    expect(new Set(block.fingerprints.filter((f) => f.id.startsWith('cp.f_gen_')).map((f) => f.scope))).toEqual(new Set(['vbw']));
    expect(block.fingerprints.find((f) => f.id === 'cp.b_nat_ir_national_3')).toMatchObject({ scope: 'nat', location: 'response' });
  });

  it('does not let the replacement-character false positive fire on a windows-1251 page read in its charset', () => {
    const fp = parseFingerprints(readFileSync(join(FP, 'cp-real-false_positive_signatures.json'), 'utf8'), 'cp.json');
    const bp = parseFingerprints('{"id":"x.rkn","kind":"blockpage","location":"body","pattern_type":"contains","pattern":"Доступ ограничен","confidence":9}', 'x.jsonl');
    const set = createFingerprintSet([...fp.fingerprints, ...bp.fingerprints]);
    // A synthetic windows-1251 page ("Доступ ограничен"), not captured on a network.
    const cp1251 = Buffer.from([0xc4, 0xee, 0xf1, 0xf2, 0xf3, 0xef, 0x20, 0xee, 0xe3, 0xf0, 0xe0, 0xed, 0xe8, 0xf7, 0xe5, 0xed]);
    const page = Buffer.concat([Buffer.from('<html><body>'), cp1251, Buffer.from('</body></html>')]);
    expect(matchHttpResponse(set, response(page, [['Content-Type', 'text/html; charset=windows-1251']]))?.fingerprint.id).toBe('x.rkn');
  });
});

describe('RE2 patterns', () => {
  it('matches ^(a+)+$ against a 41-byte hostile body at once', () => {
    const p = parseFingerprints('{"id":"evil","kind":"blockpage","location":"body","pattern_type":"regexp","pattern":"^(a+)+$"}', 'evil.jsonl');
    expect(p.errors).toEqual([]);
    const set = createFingerprintSet(p.fingerprints);
    const body = `${'a'.repeat(40)}!`;
    expect(body.length).toBe(41);
    const t = process.hrtime.bigint();
    expect(matchHttpResponse(set, response(body))).toBeNull();
    expect(matchHttpResponse(set, response('a'.repeat(40)))?.fingerprint.id).toBe('evil');
    // Linear time: far below what backtracking needs (2^40 steps); a generous bound for a busy machine.
    expect(Number(process.hrtime.bigint() - t) / 1e6).toBeLessThan(5000);
  });

  it('refuses what RE2 cannot run, with the reason, as FILE:LINE', () => {
    const p = parseFingerprints([
      '{"id":"backref","kind":"blockpage","location":"body","pattern_type":"regexp","pattern":"(a)\\\\1"}',
      '{"id":"lookahead","kind":"blockpage","location":"body","pattern_type":"regexp","pattern":"(?=a)b"}',
      `{"id":"long","kind":"blockpage","location":"body","pattern_type":"regexp","pattern":"${'a'.repeat(5000)}"}`,
    ].join('\n'), 'x.jsonl');
    expect(p.fingerprints).toEqual([]);
    expect(p.errors.map((e) => [e.line, e.reason.startsWith('regexp refused: ')])).toEqual([[1, true], [2, true], [3, true]]);
    expect(compileLinear('(?i)blocked').toString()).not.toMatch(/refused/);
    expect(typeof compileLinear('x', 'g')).toBe('string');
    const inline = compileLinear('(?i)access denied');
    expect(typeof inline !== 'string' && inline.test('ACCESS DENIED')).toBe(true);
  });
});
