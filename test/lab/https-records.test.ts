/**
 * The DNS HTTPS record end to end (lab, built CLI; needs root): a name whose HTTPS record advertises
 * ECH and HTTP/3 gives `x_https_records` with that record, an `ech` entry (source `https-rr`) in
 * `x_untested_variants` beside the `http3` one the lab page's Alt-Svc already gives (so HTTP/3 is
 * not listed twice), the console notes after the summary, and the verdict of the same page without
 * the record; a name without an HTTPS record (the catalog's successWithHTTPS) gives
 * `dns_no_answer`, no ech entry and no ECH note. Scenario:
 * fixtures/scenarios/variants/ownHttpsRecordEchAndH3.json.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, runScenario, SCENARIOS_DIR } from '../../src/lab/index.js';
import { validateRecord } from '../../src/report/schema.js';
import { CLI } from '../e2e/cli-path.js';
import { compareWithScenario, renderSideBySide, rowDiffers } from './scenario-check.js';

const ECH_NOTE = /1 site advertises Encrypted Client Hello \(ECH, DNS HTTPS record\), which was not tested/;
const H3_NOTE = /1 site advertises HTTP\/3 \(Alt-Svc or DNS HTTPS record\), which was not tested/;

describe.concurrent('DNS HTTPS record through the CLI (lab)', () => {
  it('a record with ech and h3: x_https_records, the ech variant, the console notes, an unchanged verdict', async () => {
    const scenario = loadScenario(path.join(SCENARIOS_DIR, 'variants', 'ownHttpsRecordEchAndH3.json'));
    const r = await runScenario(scenario, { cli: CLI });
    expect(r.code, r.stderr).toBe(0);
    expect(validateRecord(r.record)).toEqual({ ok: true });
    const rows = compareWithScenario(scenario, r.record);
    expect(rows.filter(rowDiffers), renderSideBySide(rows)).toEqual([]);
    const o = r.record.observations;
    expect(o.queries.map((q) => q.query_type)).not.toContain('HTTPS');
    expect(o.x_https_records).toHaveLength(1);
    expect(o.x_https_records?.[0]).toMatchObject({
      hostname: 'www.example.com',
      depth: 0,
      engine: 'udp',
      resolver_address: '130.192.3.21:53', // the ISP resolver, from the probe namespace's resolv.conf
      rcode: 0,
      failure: null,
      records: [{ priority: 1, target: '.', alpn: ['h2', 'h3'], ech: true, ech_bytes: 71 }],
    });
    // The lab's www.example.com also sends `Alt-Svc: h3=":443"`: HTTP/3 is listed once, from Alt-Svc.
    expect(o.x_untested_variants).toEqual([
      { variant: 'http3', depth: 0, url: 'https://www.example.com/', source: 'alt-svc', advertised: 'h3=":443"' },
      { variant: 'ech', depth: 0, url: 'https://www.example.com/', source: 'https-rr', advertised: 'HTTPS 1 . alpn=h2,h3 ech=<71 bytes>' },
    ]);
    expect(r.stderr).toMatch(ECH_NOTE);
    expect(r.stderr).toMatch(H3_NOTE);
  }, 180_000);

  it('a name without an HTTPS record: dns_no_answer, no ech entry, no ECH note, the catalog verdict', async () => {
    const scenario = loadScenario('successWithHTTPS');
    const r = await runScenario(scenario, { cli: CLI });
    expect(r.code, r.stderr).toBe(0);
    expect(validateRecord(r.record)).toEqual({ ok: true });
    const rows = compareWithScenario(scenario, r.record);
    expect(rows.filter(rowDiffers), renderSideBySide(rows)).toEqual([]);
    expect(r.record.observations.x_https_records).toEqual([expect.objectContaining({ hostname: 'www.example.com', failure: 'dns_no_answer', records: [] })]);
    expect(r.record.observations.x_untested_variants?.map((v) => [v.variant, v.source])).toEqual([['http3', 'alt-svc']]);
    expect(r.stderr).not.toMatch(/Encrypted Client Hello/);
    expect(r.stderr).toMatch(H3_NOTE);
  }, 180_000);
});
