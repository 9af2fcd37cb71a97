/** The report's `throttling` and `vantage` objects against the published JSON Schema (schema 1.1.0). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateRecord } from '../../../src/report/schema.js';
import { SCHEMA_VERSION, type ReportRecord, type ThrottlingRecord, type VantageRecord } from '../../../src/model/index.js';
import { fullRecord } from '../report/helpers/full-record.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/throttling');
const recorded = (name: string): ThrottlingRecord =>
  (JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as { throttling: ThrottlingRecord }).throttling;

const round = { when: 'before' as const, time: '2026-11-30T00:00:00.000Z', state: 'local_offline' as const, reason: 'every baseline check failed (1 of 1)',
  results: [{ check: 'tcp://1.1.1.1:443', scope: 'international' as const, ok: false, failure: 'network_unreachable', duration_ms: 0.4 }] };
const vantage: VantageRecord = { state: 'local_offline', reason: round.reason, round };

describe('the report schema with throttling and vantage (1.1.0)', () => {
  it('is a minor version of 1', () => {
    expect(SCHEMA_VERSION).toMatch(/^1\.[1-9]\d*\.\d+$/);
  });
  it('accepts recorded throttling records (escalated or not) and a vantage record', () => {
    for (const name of ['throttlingSniRateLimitHTTPS', 'throttlingFreezeAfter16KiB', 'throttlingHandshake', 'slowServerControlAlsoSlow']) {
      const rec: ReportRecord = { ...fullRecord(), throttling: recorded(name), vantage };
      expect(validateRecord(rec), name).toEqual({ ok: true });
    }
    const screeningOnly: ReportRecord = { ...fullRecord(), throttling: { screening: { transfer: null, suspicious: [] }, escalation: null } };
    expect(validateRecord(screeningOnly)).toEqual({ ok: true });
  });
  it('rejects an unknown outcome, a p-value above 1 and an unknown vantage state', () => {
    const t = recorded('throttlingSniRateLimitHTTPS');
    const bad = (mut: (r: ReportRecord) => void): boolean => {
      const r = JSON.parse(JSON.stringify({ ...fullRecord(), throttling: t, vantage })) as ReportRecord;
      mut(r);
      return validateRecord(r).ok;
    };
    expect(bad((r) => ((r.throttling!.escalation!.decision as { outcome: string }).outcome = 'slow'))).toBe(false);
    expect(bad((r) => (r.throttling!.escalation!.decision.p_value = 1.5))).toBe(false);
    expect(bad((r) => ((r.vantage as { state: string }).state = 'meh'))).toBe(false);
  });
});
