/**
 * Agreement with OONI: import every measurement found under some paths, run our OONI analysis on
 * it and compare `blocking`, `accessible` and `dns_consistency` with what OONI recorded, overall
 * and per test version (`npm run check:ooni -- DIR`). Streams the files: memory does not grow with
 * the input. A file or record that cannot be read or imported is listed (`FILE: reason`) and the
 * batch goes on.
 */
import type { AsnLookup } from '../classify/index.js';
import { classify } from '../classify/index.js';
import { importOoniMeasurement } from './import.js';
import { findOoniFiles, readOoniFile } from './read.js';
import { AGREEMENT_KEYS, compareWithRecorded, explainDifferences, type KeyDifference } from './to-record.js';

/** One measurement that disagrees (with the reason per key), or could not be read (`error`). */
export interface AgreementCase {
  where: string;
  input: string;
  test_version: string;
  differences: (KeyDifference & { why: string })[];
  error?: string;
}

/** Counts for one group (all, or one test version). */
export interface AgreementCounts {
  total: number;
  agree: Record<(typeof AGREEMENT_KEYS)[number], number>;
  /** Measurements where both `blocking` and `accessible` agree. */
  blockingAccessible: number;
  /** Measurements where all three keys agree. */
  allAgree: number;
}

/** The result of {@link checkOoniAgreement}. */
export interface AgreementSummary extends AgreementCounts {
  /** Per `test_version` (with the vintage), sorted by version. */
  byVersion: Record<string, AgreementCounts & { vintage: string }>;
  cases: AgreementCase[];
  /** Entries skipped because they are not web_connectivity (e.g. another OONI test). */
  skipped: number;
  /** Entries or files that could not be read or imported. */
  errors: number;
}

function emptyCounts(): AgreementCounts {
  return { total: 0, agree: { blocking: 0, accessible: 0, dns_consistency: 0 }, blockingAccessible: 0, allAgree: 0 };
}

function count(c: AgreementCounts, diffs: readonly KeyDifference[]): void {
  c.total++;
  for (const key of AGREEMENT_KEYS) if (!diffs.some((d) => d.key === key)) c.agree[key]++;
  if (!diffs.some((d) => d.key === 'blocking' || d.key === 'accessible')) c.blockingAccessible++;
  if (diffs.length === 0) c.allAgree++;
}

/**
 * checkOoniAgreement reads every OONI measurement under `paths` (files or directories: `*.json`,
 * `*.jsonl`, recursively) and compares the keys. Unreadable files, bad JSON, measurements that
 * cannot be imported (no test_keys, a start time that is not a time) and non-web_connectivity
 * entries are counted, never thrown; rejects only when a path given does not exist.
 */
export async function checkOoniAgreement(paths: readonly string[], opts: { asnLookup?: AsnLookup } = {}): Promise<AgreementSummary> {
  const s: AgreementSummary = { ...emptyCounts(), byVersion: {}, cases: [], skipped: 0, errors: 0 };
  const fail = (where: string, error: string): void => {
    s.errors++;
    s.cases.push({ where, input: '', test_version: '', differences: [], error });
  };
  for (const p of paths) {
    for (const file of await findOoniFiles(p)) {
      try {
        for await (const entry of readOoniFile(file)) {
          if (entry.error !== undefined) {
            fail(entry.where, entry.error);
            continue;
          }
          const m = entry.measurement as { test_name?: unknown } | null;
          if (m === null || typeof m !== 'object' || m.test_name !== 'web_connectivity') {
            s.skipped++;
            continue;
          }
          let imported;
          try {
            imported = importOoniMeasurement(m);
          } catch (e) {
            fail(entry.where, e instanceof Error ? e.message.replace(/^importOoniMeasurement: /, '') : String(e));
            continue;
          }
          const { ooni } = classify({ url: imported.url, observations: imported.observations, control: imported.control }, opts.asnLookup ? { asnLookup: opts.asnLookup } : {});
          const diffs = compareWithRecorded(imported.recorded, ooni);
          const version = imported.source.test_version ?? '?';
          count(s, diffs);
          s.byVersion[version] ??= { ...emptyCounts(), vintage: imported.vintage };
          count(s.byVersion[version], diffs);
          if (diffs.length > 0) {
            s.cases.push({ where: entry.where, input: imported.url, test_version: version, differences: explainDifferences(imported, ooni, diffs) as AgreementCase['differences'] });
          }
        }
      } catch (e) {
        fail(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e))})`);
      }
    }
  }
  return s;
}

function line(label: string, c: AgreementCounts): string {
  return `  ${label.padEnd(22)} blocking+accessible ${c.blockingAccessible}/${c.total}, blocking ${c.agree.blocking}/${c.total}, accessible ${c.agree.accessible}/${c.total}, dns_consistency ${c.agree.dns_consistency}/${c.total}`;
}

/** Escapes C0/C1 controls and bidi overrides of untrusted text before it reaches a terminal. */
function safe(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** formatAgreement renders the summary: overall and per-version lines, then each error and differing case with its reason. */
export function formatAgreement(s: AgreementSummary): string {
  const lines = [`OONI agreement over ${s.total} web_connectivity measurement${s.total === 1 ? '' : 's'}` +
    `${s.skipped ? ` (${s.skipped} other entries skipped)` : ''}${s.errors ? `, ${s.errors} unreadable` : ''}:`];
  lines.push(line('all', s));
  const versions = Object.keys(s.byVersion).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const v of versions) {
    const c = s.byVersion[v];
    if (c !== undefined) lines.push(line(`${v} (${c.vintage})`, c));
  }
  const errors = s.cases.filter((c) => c.error !== undefined);
  if (errors.length > 0) lines.push('Unreadable:');
  for (const c of errors) lines.push(`  ${safe(c.where)}: ${safe(c.error ?? '')}`);
  const diffs = s.cases.filter((c) => c.error === undefined);
  if (diffs.length > 0) lines.push('Differences:');
  for (const c of diffs) {
    lines.push(`  ${safe(c.where)} (${safe(c.input)}, ${safe(c.test_version)}):`);
    for (const d of c.differences) lines.push(`    ${d.key}: OONI ${JSON.stringify(d.recorded)}, ours ${JSON.stringify(d.ours)}: ${safe(d.why)}`);
  }
  return lines.join('\n');
}
