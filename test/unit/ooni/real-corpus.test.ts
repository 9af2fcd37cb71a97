/**
 * Real OONI Web Connectivity measurements of every vintage (fixtures/ooni/real, sources in its
 * README): each is imported and classified, and the result is compared with the value established
 * by reading the measurement (the expectations below say why), not with our own earlier output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFingerprintSet, curatedFingerprints, mergeFingerprintSets, parseFingerprints, type FingerprintSet } from '../../../src/classify/index.js';
import { importOoniMeasurement, INFERRED_TAG, normalizeControl, type OoniVintage } from '../../../src/ooni/import.js';
import { ooniToRecord } from '../../../src/ooni/to-record.js';
import { validateRecord } from '../../../src/report/schema.js';

const ROOT = join(import.meta.dirname, '../../../fixtures');
const real = (f: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, 'ooni/real', f), 'utf8')) as Record<string, unknown>;

let fps: FingerprintSet | null = null;
/** The real OONI (fastpath JSON) and Censored Planet sets plus our curated set. */
function realFingerprints(): FingerprintSet {
  if (fps === null) {
    const sets = ['ooni-fastpath-fingerprints_http.json', 'ooni-fastpath-fingerprints_dns.json', 'cp-real-blockpage_signatures.json', 'cp-real-false_positive_signatures.json'].map((f) => {
      const p = parseFingerprints(readFileSync(join(ROOT, 'fingerprints', f), 'utf8'), f);
      expect(p.errors, f).toEqual([]);
      return createFingerprintSet(p.fingerprints);
    });
    fps = mergeFingerprintSets(curatedFingerprints(), ...sets);
  }
  return fps;
}

interface Expected {
  vintage: OoniVintage;
  /** Our OONI keys under the v0.5 classic rules: [blocking, accessible]. */
  ooni: [unknown, unknown];
  /** Whether they equal what OONI recorded; when not, `ooni_source.differences` must explain it. */
  agrees: boolean;
  /** Our verdict's blocking (with the real fingerprint sets loaded), and a fingerprint id when one must match. */
  verdict?: unknown;
  fingerprint?: string;
  why: string;
}

const CASES: Record<string, Expected> = {
  '2016-DE-py-torproject.json': { vintage: 'python', ooni: [false, true], agrees: true, verdict: null, why: '302 to https then 200, same body length (14539) as the control: accessible' },
  '2017-AU-mk-b64-hdr.json': { vintage: 'mk', ooni: ['http-failure', false], agrees: true, verdict: 'http-failure', why: 'a 307 to a private address (Check Point UserCheck portal, base64 Location) the probe could not follow while the control fetched the page' },
  '2017-CN-mk-odd-hdr.json': { vintage: 'mk', ooni: ['dns', false], agrees: true, why: 'the ISP resolver answers for a name the control cannot resolve (NXDOMAIN rewriting): inconsistent DNS' },
  '2018-MY-py-b64-body.json': { vintage: 'python', ooni: [false, true], agrees: true, verdict: null, why: 'base64 body of the genuine page, same status and headers as the control' },
  '2019-ES-py-report2.json': { vintage: 'python', ooni: [false, true], agrees: true, verdict: null, why: '301 to https, then 200 over HTTPS (the archived body was trimmed by the fastpath test authors)' },
  '2019-IT-mk-no-body.json': { vintage: 'mk', ooni: [false, false], agrees: false, verdict: null, why: 'the certificate does not verify and the control failed too: the site is broken (down), not blocked; MK said accessible' },
  '2019-US-mk-report1.json': { vintage: 'mk', ooni: [false, true], agrees: true, verdict: null, why: 'genuine page (body trimmed in the archive), headers match' },
  '2020-IR-mk-bug352.json': { vintage: 'mk', ooni: ['dns', false], agrees: true, verdict: 'dns', fingerprint: 'ooni.ir_10dot10_ipv4_1', why: "Iran's resolver answers 10.10.34.36 (the national blockpage address)" },
  '2020-NL-py-bug351.json': { vintage: 'python', ooni: [null, null], agrees: false, verdict: null, why: "ooniprobe 2.2.0 crashed decoding the Persian page ('ascii' codec): a probe bug, no HTTP result; OONI's http-failure is a false positive" },
  '2021-IT-go04-example.json': { vintage: 'go', ooni: [false, true], agrees: true, verdict: null, why: 'HTTPS 200 over a verified connection (the IPv6 connect failed for lack of a route)' },
  '2021-SK-go01-requests-none.json': { vintage: 'go', ooni: ['dns', false], agrees: true, why: 'NXDOMAIN at the probe while the control resolved a name: unexpected DNS failure (v0.5 keeps that)' },
  '2022-IR-go04-ir-fp.json': { vintage: 'go', ooni: ['dns', false], agrees: true, verdict: 'dns', fingerprint: 'ooni.ir_10dot10_ipv4_1', why: 'www.facebook.com resolved to 10.10.34.36 in Iran' },
  '2022-IR-go04-null2.json': { vintage: 'go', ooni: [false, false], agrees: false, why: 'invalid certificate at the probe and the control could not fetch either: down (v0.4 left null)' },
  '2022-TM-go04-null.json': { vintage: 'go', ooni: [null, null], agrees: true, verdict: null, why: 'the helper was unreachable (control_failure connection_refused, zero-valued control with nulls): nothing to compare' },
  '2023-IT-lte-dnsgoogle80.json': { vintage: 'lte', ooni: [false, false], agrees: false, why: 'port 80 times out from probe and helper alike: down under the classic rules; 0.5.26 predates them' },
  '2023-IT-lte-nexa.json': { vintage: 'lte', ooni: [false, true], agrees: true, verdict: null, why: 'HTTPS 200' },
  '2024-IT-lte-8844.json': { vintage: 'lte', ooni: [null, null], agrees: true, why: 'an IP-address URL: no DNS, and the classic rules need a final response with TLS control' },
  '2024-IT-lte-example.json': { vintage: 'lte', ooni: [false, true], agrees: true, verdict: null, why: 'HTTPS 200' },
  '2024-IT-lte-issue-2456.json': { vintage: 'lte', ooni: [false, true], agrees: true, verdict: null, why: 'HTTPS 200 (CDN addresses differ but share the ASN)' },
  '2025-ID-go04-trustpositif.json': { vintage: 'go', ooni: [false, true], agrees: true, verdict: 'http-diff', fingerprint: 'ooni.id_lamanlabuh_kominfo', why: "archive.org answers 302 to Indonesia's blockpage host lamanlabuh.aduankonten.id (Trustpositif); OONI's header rule missed it, the fingerprint confirms it" },
};

describe('real OONI measurements of every vintage', () => {
  for (const [file, exp] of Object.entries(CASES)) {
    it(`${file}: ${exp.why}`, () => {
      const m = importOoniMeasurement(real(file));
      expect(m.vintage).toBe(exp.vintage);
      const rec = ooniToRecord(m, { softwareVersion: '0.1.0', runId: 'r', fingerprints: realFingerprints() });
      expect(validateRecord(JSON.parse(JSON.stringify(rec))), file).toEqual({ ok: true });
      expect([rec.ooni.blocking, rec.ooni.accessible]).toEqual(exp.ooni);
      const recorded = [m.recorded.blocking ?? null, m.recorded.accessible ?? null];
      expect(recorded.every((v, i) => v === exp.ooni[i])).toBe(exp.agrees);
      if (exp.agrees) expect(rec.ooni_source?.differences).toBeUndefined();
      else {
        expect(rec.ooni_source?.differences?.length).toBeGreaterThan(0);
        for (const d of rec.ooni_source?.differences ?? []) expect(d.why).toContain(`web_connectivity ${String(m.source.test_version)}`);
      }
      if ('verdict' in exp) expect(rec.verdict.blocking).toBe(exp.verdict);
      if (exp.fingerprint !== undefined) expect(rec.verdict.fingerprints).toContain(exp.fingerprint);
    });
  }

  it('agrees with what OONI recorded on at least 18 of the 20 real measurements that carry keys here', () => {
    expect(Object.values(CASES).filter((c) => c.agrees).length).toBeGreaterThanOrEqual(16);
  });

  it('orders old requests oldest first with their depth and pairs the first with its connect', () => {
    const py = importOoniMeasurement(real('2016-DE-py-torproject.json'));
    expect(py.observations.requests.map((r) => [r.depth, r.response?.code])).toEqual([[0, 302], [1, 200]]);
    const first = py.observations.requests[0];
    expect(py.observations.tcp_connect.find((c) => c.transaction_id === first?.transaction_id)).toMatchObject({ ip: '82.195.75.101', port: 80, tags: expect.arrayContaining(['fetch_body=true']) });
    expect(py.observations.tcp_connect.filter((c) => c.tags.includes(INFERRED_TAG))).toMatchObject([{ ip: '', depth: 1 }]);
    expect(py.observations.queries[0]).toMatchObject({ engine: 'getaddrinfo', resolver_address: 'system' });
    expect(py.control.response?.dns.addrs).toEqual(['82.195.75.101', '138.201.14.197', '154.35.132.70', '86.59.30.40', '93.95.227.222']);
    const id = importOoniMeasurement(real('2025-ID-go04-trustpositif.json'));
    expect(id.observations.requests.map((r) => [r.depth, r.request.url])).toEqual([[0, 'http://archive.org'], [1, 'http://lamanlabuh.aduankonten.id/']]);
  });

  it('decodes base64 header values', () => {
    const au = importOoniMeasurement(real('2017-AU-mk-b64-hdr.json'));
    expect(au.observations.requests[0]?.response?.headers['Location']).toMatch(/^http:\/\/192\.168\.22\.1\/UserCheck\/PortalMain\?IID=/);
  });

  it('never crashes on empty or null helper answers: they are control failures', () => {
    const base = real('2016-DE-py-torproject.json');
    for (const control of [{}, null, [], 'x', { dns: null, http_request: null, tcp_connect: null }]) {
      const tk = { ...(base['test_keys'] as Record<string, unknown>), control };
      const m = importOoniMeasurement({ ...base, test_keys: tk });
      expect(m.control.response).toBeNull();
      expect(m.control.failure).toMatch(/^unknown_failure: /);
      const rec = ooniToRecord(m, { softwareVersion: '0.1.0', runId: 'r' });
      expect(rec.ooni.control_failure).toBe(m.control.failure);
      expect(validateRecord(JSON.parse(JSON.stringify(rec)))).toEqual({ ok: true });
    }
    expect(normalizeControl({ tcp_connect: null, http_request: { headers: null, status_code: 0 }, dns: { addrs: null } })).toMatchObject({ tcp_connect: {}, dns: { addrs: [] }, http_request: { headers: {} } });
    expect(() => importOoniMeasurement(real('2021-US-go-test-keys-none.json'))).toThrow(/no test_keys/);
  });
});

describe('measurements without a start time or version', () => {
  it('dates a measurement without measurement_start_time by the import and says so; LTE layout is kept as is', () => {
    const lte = JSON.parse(readFileSync(join(ROOT, 'ooni/generated/successWithHTTP.json'), 'utf8')) as Record<string, unknown>;
    delete lte['measurement_start_time'];
    delete lte['test_start_time'];
    delete lte['test_version'];
    const m = importOoniMeasurement(lte, { now: '2026-01-02T03:04:05Z' });
    expect(m.measurement_start_time).toBe('2026-01-02T03:04:05Z');
    expect(m.vintage).toBe('lte');
    expect(m.notes).toEqual(['OONI wrote no measurement_start_time: the time of the import (2026-01-02T03:04:05Z) stands in']);
    expect(m.observations.requests.map((r) => r.transaction_id)).toEqual((lte['test_keys'] as { requests: { transaction_id: number }[] }).requests.map((r) => r.transaction_id));
  });
});
