import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_FINGERPRINTS } from './lab-fingerprints.js';
import { describe, expect, it } from 'vitest';
import {
  CURATED_FINGERPRINT_LINES,
  createFingerprintSet,
  curatedFingerprints,
  detectFingerprintFormat,
  formatFingerprintError,
  matchDnsAnswers,
  matchHttpResponse,
  parseFingerprints,
} from '../../../src/classify/index.js';
import { urlForms } from '../../../src/classify/fingerprint.js';
import type { DnsQueryObservation, HttpRequestObservation } from '../../../src/model/index.js';

const dir = join(import.meta.dirname, '../../../fixtures/fingerprints');
const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
const load = (name: string): ReturnType<typeof parseFingerprints> => parseFingerprints(read(name), name);
const errors = (name: string): string[] => load(name).errors.map(formatFingerprintError);

function response(body: string, code = 200, headers: [string, string][] = []): HttpRequestObservation {
  return {
    network: 'tcp', address: '93.184.216.34:80',
    request: { method: 'GET', url: 'http://www.example.com/', headers: {}, headers_list: [], body: '', body_is_truncated: false, x_transport: 'tcp' },
    response: { code, headers: Object.fromEntries(headers), headers_list: headers, body, body_is_truncated: false, body_length: body.length, title: '' },
    failure: null, t0: 0, t: 0.1, transaction_id: 1, depth: 0, tags: [],
  };
}

function lookup(...addrs: string[]): DnsQueryObservation {
  return {
    engine: 'getaddrinfo', resolver_address: 'system', hostname: 'www.example.com', query_type: 'ANY',
    answers: addrs.map((a) => ({ answer_type: 'A' as const, ipv4: a, ttl: null })), failure: null, t0: 0, t: 0.1, transaction_id: 1, depth: 0, tags: [],
  };
}

describe('the curated fingerprint set', () => {
  it('is valid in our documented format and identical to fixtures/fingerprints/censorprobe.jsonl', () => {
    expect(read('censorprobe.jsonl')).toBe(`${CURATED_FINGERPRINT_LINES.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const parsed = load('censorprobe.jsonl');
    expect(parsed).toMatchObject({ format: 'censorprobe', errors: [] });
    expect(curatedFingerprints().size).toBe(CURATED_FINGERPRINT_LINES.length);
  });

  it('matches the lab blockpage (fixtures/pages/blockpage.html) with the lab fingerprints only', () => {
    const page = readFileSync(join(import.meta.dirname, '../../../fixtures/pages/blockpage.html'), 'utf8');
    // Its generic wording ("cannot be served in your jurisdiction") is a site's own geo-block as
    // often as a censor's: the shipped set must not confirm it.
    expect(matchHttpResponse(curatedFingerprints(), response(page))?.fingerprint.kind === 'blockpage' && !matchHttpResponse(curatedFingerprints(), response(page))?.weak).toBe(false);
    const m = matchHttpResponse(LAB_FINGERPRINTS, response(page));
    expect(m).toMatchObject({ fingerprint: { id: 'censorprobe.lab_access_denied', kind: 'blockpage', countries: ['IT'] }, weak: false });
    expect(m?.where).toBe('body of the response to http://www.example.com/ (depth 0)');
  });

  it('matches the Cloudflare CAPTCHA (fixtures/pages/cloudflare_captcha.html) as a false positive', () => {
    const page = readFileSync(join(import.meta.dirname, '../../../fixtures/pages/cloudflare_captcha.html'), 'utf8');
    expect(matchHttpResponse(curatedFingerprints(), response(page, 503))?.fingerprint).toMatchObject({ id: 'censorprobe.fp_cloudflare_challenge', kind: 'false_positive' });
  });

  it('does not match the genuine example page', () => {
    const page = readFileSync(join(import.meta.dirname, '../../../fixtures/pages/example_page.html'), 'utf8');
    expect(matchHttpResponse(curatedFingerprints(), response(page))).toBeNull();
  });

  it('matches the lab blockpage server address in DNS answers and a consent redirect in a header', () => {
    expect(matchDnsAnswers(curatedFingerprints(), [lookup('10.0.0.1', '83.224.65.41')])).toMatchObject({ fingerprint: { id: 'censorprobe.lab_blockpage_server' }, where: 'DNS answer 83.224.65.41 for www.example.com' });
    expect(matchDnsAnswers(curatedFingerprints(), [lookup('93.184.216.34')])).toBeNull();
    const m = matchHttpResponse(curatedFingerprints(), response('', 302, [['Location', 'https://consent.google.com/ml?continue=x']]));
    expect(m).toMatchObject({ fingerprint: { id: 'censorprobe.fp_google_consent' }, where: 'header.location of the response to http://www.example.com/ (depth 0)' });
  });
});

describe('parseFingerprints', () => {
  it('detects the three formats from the first line', () => {
    expect(detectFingerprintFormat(read('censorprobe.jsonl'))).toBe('censorprobe');
    expect(detectFingerprintFormat(read('ooni-sample.csv'))).toBe('ooni-csv');
    expect(detectFingerprintFormat(read('cp-blockpage_signatures.jsonl'))).toBe('censored-planet');
    expect(detectFingerprintFormat('hello world\n')).toBeNull();
    expect(parseFingerprints('hello world\n', 'x.txt').errors.map(formatFingerprintError)[0]).toMatch(/^x\.txt:1: unknown fingerprint format/);
  });

  it('loads OONI CSV rows: scope fp is a false positive, vbw is weak, notes may span lines, countries split', () => {
    const parsed = load('ooni-sample.csv');
    expect(parsed.errors).toEqual([]);
    expect(parsed.fingerprints.map((f) => [f.id, f.kind, f.location, f.pattern_type, f.countries, f.confidence])).toEqual([
      ['ooni.example_isp_1', 'blockpage', 'body', 'contains', ['XX', 'YY'], 5],
      ['ooni.example_nat_location', 'blockpage', 'header.location', 'prefix', ['XX'], 10],
      ['ooni.example_dns_1', 'blockpage', 'dns', 'full', ['XX'], 5],
      ['ooni.example_vbw', 'blockpage', 'body', 'contains', [], 5],
      ['ooni.example_fp_captcha', 'false_positive', 'body', 'regexp', [], 5],
    ]);
    const set = createFingerprintSet(parsed.fingerprints);
    expect(matchHttpResponse(set, response('<p>Access Denied</p>'))).toMatchObject({ fingerprint: { id: 'ooni.example_vbw' }, weak: true });
    expect(matchHttpResponse(set, response('<title>Verify you are human</title> Access Denied'))?.fingerprint.kind).toBe('false_positive');
    expect(matchHttpResponse(set, response('', 302, [['location', 'http://blocked.example.net/x']]))?.fingerprint.id).toBe('ooni.example_nat_location');
    expect(matchDnsAnswers(set, [lookup('198.51.100.77')])?.fingerprint.id).toBe('ooni.example_dns_1');
  });

  it('loads Censored Planet JSON lines as DOTALL regexps on the rebuilt response, kind and scope from the id', () => {
    const bp = load('cp-blockpage_signatures.jsonl');
    const fp = load('cp-false_positive_signatures.jsonl');
    expect(bp.errors).toEqual([]);
    expect(bp.fingerprints.map((f) => [f.id, f.kind, f.scope, f.location])).toEqual([
      ['cp.a_prod_fortinet_1', 'blockpage', 'prod', 'response'],
      ['cp.b_nat_xx_example_1', 'blockpage', 'nat', 'response'],
      ['cp.f_gen_blocked_1', 'blockpage', 'vbw', 'response'],
    ]);
    expect(fp.fingerprints[0]).toMatchObject({ id: 'cp.x_fp_example_parking', kind: 'false_positive' });
    const set = createFingerprintSet([...bp.fingerprints, ...fp.fingerprints]);
    // The status line and the body are on different lines: only a DOTALL regexp spans them.
    expect(matchHttpResponse(set, response('<a href="http://blocked.example.net/">here</a>', 403))?.fingerprint.id).toBe('cp.b_nat_xx_example_1');
    expect(matchHttpResponse(set, response('You are blocked'))).toMatchObject({ fingerprint: { id: 'cp.f_gen_blocked_1' }, weak: true });
    expect(matchHttpResponse(set, response('This domain is parked. Blocked? no'))?.fingerprint.id).toBe('cp.x_fp_example_parking');
  });

  it('reports every malformed line of our format as FILE:LINE: reason', () => {
    const parsed = load('bad-censorprobe.jsonl');
    expect(parsed.fingerprints.map((f) => f.id)).toEqual(['ok.one']);
    expect(parsed.errors.map(formatFingerprintError)).toEqual([
      "bad-censorprobe.jsonl:3: 'kind' must be \"blockpage\" or \"false_positive\", got \"censored\"",
      "bad-censorprobe.jsonl:4: 'location' must be \"body\", \"response\", \"dns\" or \"header.<lower-case name>\", got \"cookie\"",
      "bad-censorprobe.jsonl:5: 'countries' must be an array of ISO 3166 alpha-2 codes (e.g. [\"IT\"])",
      "bad-censorprobe.jsonl:6: 'confidence' must be an integer from 1 to 10",
      expect.stringMatching(/^bad-censorprobe\.jsonl:7: regexp refused: /),
      expect.stringMatching(/^bad-censorprobe\.jsonl:8: bad JSON \(/),
    ]);
  });

  it('reports malformed OONI CSV rows and an unterminated quote with their line', () => {
    expect(errors('bad-ooni.csv')).toEqual([
      "bad-ooni.csv:3: 'location_found' must be body, dns or header.<name>, got 'cookie'",
      "bad-ooni.csv:4: 'pattern_type' must be one of full, prefix, contains, regexp, got 'glob'",
      expect.stringMatching(/^bad-ooni\.csv:5: regexp refused: /),
    ]);
    expect(errors('unterminated-ooni.csv')).toEqual([expect.stringMatching(/^unterminated-ooni\.csv:\d+: bad CSV \(.*[Qq]uote/)]);
    expect(parseFingerprints('name,scope\nx,isp\n', 'short.csv').errors.map(formatFingerprintError)).toEqual([
      'short.csv:1: OONI fingerprint CSV header lacks other_names, location_found, pattern_type, pattern, confidence_no_fp, expected_countries, source, exp_url, notes',
    ]);
  });

  it('reports malformed Censored Planet lines with their line', () => {
    const parsed = load('bad-cp.jsonl');
    expect(parsed.fingerprints.map((f) => f.id)).toEqual(['cp.a_prod_ok']);
    expect(parsed.errors.map(formatFingerprintError)).toEqual([
      expect.stringMatching(/^bad-cp\.jsonl:2: regexp refused: /),
      "bad-cp.jsonl:3: missing string 'pattern'",
      expect.stringMatching(/^bad-cp\.jsonl:4: bad JSON \(/),
    ]);
  });
});

describe('urlForms (a URL-valued header as written and as the absolute URL it names)', () => {
  const base = 'http://www.example.com/page';
  it('resolves protocol-relative references, drops a default port and a trailing dot, trims; a path alone stays as written', () => {
    expect(urlForms('//Blocked.Gov.Example/x?u=1', base)).toEqual(['//Blocked.Gov.Example/x?u=1', 'http://blocked.gov.example/x?u=1']);
    expect(urlForms('http://blocked.gov.example.:80/x', base)).toEqual(['http://blocked.gov.example.:80/x', 'http://blocked.gov.example/x']);
    expect(urlForms('  http://blocked.gov.example/x \t', base)).toEqual(['http://blocked.gov.example/x']);
    expect(urlForms('/local', base)).toEqual(['/local']);
  });
  it('keeps a value that is no URL as written', () => {
    expect(urlForms('http://[bad', base)).toEqual(['http://[bad']);
  });
});
