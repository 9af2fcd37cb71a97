/**
 * Shared by the end-to-end scenario tests: runs one scenario through the built CLI (runScenario) and
 * compares the report line with the scenario's expectations. A mismatch fails with a table of every
 * checked key, observed and expected side by side, the differing rows marked, and the reasons.
 */
import { expect } from 'vitest';
import type { ReportRecord } from '../../src/model/index.js';
import { loadScenario, runScenario, type Scenario } from '../../src/lab/index.js';
import { validateRecord } from '../../src/report/schema.js';
import { CLI } from '../e2e/cli-path.js';

/** Row: one checked key. */
interface Row {
  key: string;
  observed: unknown;
  expected: unknown;
  /** Set when the scenario says the lab cannot reproduce this key (not compared). */
  notCompared?: string;
}

/** Numbers (body_proportion) compare to 6 decimals: the lab's bytes are exact, float printing is not. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) < 1e-6;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** rowDiffers: a compared row whose observed value is not the expected one. */
export function rowDiffers(r: Row): boolean {
  return r.notCompared === undefined && !same(r.observed, r.expected);
}

/** compareWithScenario lists every key the scenario expects, with what the record says. Pure. */
export function compareWithScenario(scenario: Scenario, record: ReportRecord): Row[] {
  const rows: Row[] = [];
  const ooni = record.ooni as unknown as Record<string, unknown>;
  const verdict = record.verdict as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(scenario.expected.ooni)) rows.push({ key: `ooni.${k}`, observed: ooni[k], expected: v });
  for (const [k, v] of Object.entries(scenario.expected.ooni_extra ?? {})) rows.push({ key: `ooni_extra.${k}`, observed: ooni[k], expected: v });
  for (const [k, v] of Object.entries(scenario.expected.verdict)) rows.push({ key: `verdict.${k}`, observed: verdict[k], expected: v });
  const limits = scenario.expected.lab_limits ?? {};
  for (const r of rows) {
    const why = limits[r.key];
    if (why !== undefined) r.notCompared = why;
  }
  if (scenario.expected.dns_late_replies !== undefined) {
    const late = record.observations.queries.some((q) => (q.late_replies?.length ?? 0) > 0);
    rows.push({ key: 'observations.queries[].late_replies', observed: late, expected: scenario.expected.dns_late_replies });
  }
  if (scenario.expected.observed_failures !== undefined) {
    const o = record.observations;
    const seen = new Set<string>();
    const add = (f: string | null | undefined): void => {
      if (typeof f === 'string') seen.add(f);
    };
    o.queries.forEach((q) => add(q.failure));
    o.tcp_connect.forEach((t) => add(t.status.failure));
    o.tls_handshakes.forEach((t) => add(t.failure));
    o.requests.forEach((r) => add(r.failure));
    for (const f of scenario.expected.observed_failures) rows.push({ key: `observations failure ${f}`, observed: seen.has(f), expected: true });
  }
  return rows;
}

/** renderSideBySide formats rows as `key  observed  expected`, marking differing rows with `<-- differs`. */
export function renderSideBySide(rows: Row[]): string {
  const s = (v: unknown): string => (v === undefined ? '(missing)' : JSON.stringify(v));
  const w1 = Math.max(3, ...rows.map((r) => r.key.length));
  const w2 = Math.max(8, ...rows.map((r) => s(r.observed).length));
  const lines = [`${'key'.padEnd(w1)}  ${'observed'.padEnd(w2)}  expected`];
  for (const r of rows) {
    const mark = r.notCompared !== undefined ? `   (not compared: ${r.notCompared})` : rowDiffers(r) ? '   <-- differs' : '';
    lines.push(`${r.key.padEnd(w1)}  ${s(r.observed).padEnd(w2)}  ${s(r.expected)}${mark}`);
  }
  return lines.join('\n');
}

/** checkScenario runs the named scenario end to end and asserts its expectations (see the file comment). */
export async function checkScenario(name: string): Promise<void> {
  const scenario = loadScenario(name);
  const result = await runScenario(scenario, { cli: CLI });
  expect(result.code, `censorprobe run exited ${result.code}: ${result.stderr}\nhelper: ${result.helperStderr}`).toBe(0);
  const record = result.record;
  expect(record, `no report line on stdout; stderr: ${result.stderr}`).toBeTruthy();
  expect(validateRecord(record)).toEqual({ ok: true });
  const rows = compareWithScenario(scenario, record);
  const bad = rows.filter(rowDiffers);
  if (bad.length > 0) {
    const reasons = record.verdict.reasons.map((r) => `  - ${r}`).join('\n');
    throw new Error(`scenario ${name}: ${bad.length} key(s) differ\n${renderSideBySide(rows)}\nreasons:\n${reasons}`);
  }
  expect(record.verdict.reasons.length).toBeGreaterThan(0);
}
