/**
 * Agreement with OONI: import every measurement found under some paths, run our OONI analysis on
 * it and compare `blocking`, `accessible` and `dns_consistency` with what OONI recorded
 * (`npm run check:ooni -- DIR`). Streams the files: memory does not grow with the input.
 */
import { analyzeOoni, type AsnLookup } from '../classify/index.js';
import { importOoniMeasurement } from './import.js';
import { findOoniFiles, readOoniFile } from './read.js';
import { AGREEMENT_KEYS, compareWithRecorded, type KeyDifference } from './to-record.js';

/** One measurement that disagrees, or could not be read (`error`). */
export interface AgreementCase {
  where: string;
  input: string;
  differences: KeyDifference[];
  error?: string;
}

/** The result of {@link checkOoniAgreement}: `total` web_connectivity measurements, agreements per key. */
export interface AgreementSummary {
  total: number;
  agree: Record<(typeof AGREEMENT_KEYS)[number], number>;
  /** Measurements where all three keys agree. */
  allAgree: number;
  cases: AgreementCase[];
  /** Entries skipped because they are not web_connectivity (e.g. another OONI test). */
  skipped: number;
}

/**
 * checkOoniAgreement reads every OONI measurement under `paths` (files or directories: `*.json`,
 * `*.jsonl`, recursively) and compares the keys. Unreadable entries and non-web_connectivity
 * measurements are counted, never thrown; rejects only when a path does not exist.
 */
export async function checkOoniAgreement(paths: readonly string[], opts: { asnLookup?: AsnLookup } = {}): Promise<AgreementSummary> {
  const s: AgreementSummary = { total: 0, agree: { blocking: 0, accessible: 0, dns_consistency: 0 }, allAgree: 0, cases: [], skipped: 0 };
  for (const p of paths) {
    for (const file of await findOoniFiles(p)) {
      for await (const entry of readOoniFile(file)) {
        if (entry.error !== undefined) {
          s.cases.push({ where: entry.where, input: '', differences: [], error: entry.error });
          continue;
        }
        const m = entry.measurement as { test_name?: unknown } | null;
        if (m === null || typeof m !== 'object' || m.test_name !== 'web_connectivity') {
          s.skipped++;
          continue;
        }
        const imported = importOoniMeasurement(m);
        const ours = analyzeOoni(imported, opts.asnLookup ? { asnLookup: opts.asnLookup } : {});
        const diffs = compareWithRecorded(imported.recorded, ours);
        s.total++;
        for (const key of AGREEMENT_KEYS) if (!diffs.some((d) => d.key === key)) s.agree[key]++;
        if (diffs.length === 0) s.allAgree++;
        else s.cases.push({ where: entry.where, input: imported.url, differences: diffs });
      }
    }
  }
  return s;
}

/** formatAgreement renders the summary: one `key N/M` line per key, then each differing case. */
export function formatAgreement(s: AgreementSummary): string {
  const lines = [`OONI agreement over ${s.total} web_connectivity measurement${s.total === 1 ? '' : 's'}${s.skipped ? ` (${s.skipped} other entries skipped)` : ''}:`];
  for (const key of AGREEMENT_KEYS) lines.push(`  ${key.padEnd(16)} ${s.agree[key]}/${s.total}`);
  lines.push(`  ${'all three'.padEnd(16)} ${s.allAgree}/${s.total}`);
  if (s.cases.length > 0) lines.push('Differences:');
  for (const c of s.cases) {
    if (c.error !== undefined) {
      lines.push(`  ${c.where}: ${c.error}`);
      continue;
    }
    const d = c.differences.map((x) => `${x.key}: OONI ${JSON.stringify(x.recorded)}, ours ${JSON.stringify(x.ours)}`).join('; ');
    lines.push(`  ${c.where} (${c.input}): ${d}`);
  }
  return lines.join('\n');
}
