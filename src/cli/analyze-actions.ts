/**
 * The actions of `censorprobe analyze` (see `commands/analyze.ts`): report summaries and
 * re-classification, and OONI import. Loaded lazily by the command.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { classify, type ClassifyOptions } from '../classify/index.js';
import type { ReportRecord, Verdict } from '../model/index.js';
import { importOoniMeasurement } from '../ooni/import.js';
import { findOoniFiles, readOoniFile } from '../ooni/read.js';
import { compareWithRecorded, ooniToRecord } from '../ooni/to-record.js';
import { createReportWriter, readReport } from '../report/index.js';
import { resolveReportPath } from './report-path.js';
import { sharedAsnDatabase } from '../runner/asn-db.js';
import { throttlingHook } from '../throttling/index.js';
import { LABEL_TEXT, verdictLabel, type VerdictLabel } from '../runner/labels.js';
import { SOFTWARE_VERSION } from '../runner/version.js';
import { loadFingerprintFiles } from './fingerprints.js';
import type { Io } from './io.js';
import { UsageError } from './options.js';
import { chalkFor } from './render.js';

/** The flags of `censorprobe analyze`. */
export interface AnalyzeFlags {
  fromOoni?: boolean;
  output?: string;
  reclassify?: boolean;
  fingerprints: string[];
  json?: boolean;
  asnDb: boolean;
  /** Grouped counts (commands/analyze-format.ts). */
  format?: string;
  by?: string;
}

const ORDER: VerdictLabel[] = ['accessible', 'dns', 'tcp_ip', 'tls', 'http-failure', 'http-diff', 'throttling', 'anomaly', 'down', 'inconclusive'];

/**
 * analyzeAction runs `analyze` on `files` and returns the exit code (0 done). Throws
 * {@link UsageError} (exit 2) for bad flag combinations, bad fingerprint files and unreadable input.
 */
export async function analyzeAction(files: string[], flags: AnalyzeFlags, io: Io): Promise<number> {
  if (flags.output && !flags.fromOoni) throw new UsageError('--output is only for --from-ooni (analyze prints its results)');
  if (flags.reclassify && flags.fromOoni) throw new UsageError('--reclassify reads our reports; --from-ooni always classifies with the current rules');
  const options: ClassifyOptions = { fingerprints: await loadFingerprintFiles(flags.fingerprints) };
  if (flags.asnDb) options.asnLookup = sharedAsnDatabase().lookup;
  const resolved = files.map((f) => path.resolve(io.cwd, f));
  if (flags.format !== undefined && !flags.fromOoni) return (await import('./commands/analyze-format.js')).groupedAnalysis(files, { ...flags, format: flags.format }, options, io);
  return flags.fromOoni ? fromOoni(resolved, flags, options, io) : analyzeReports(resolved, flags, options, io);
}

interface Counts {
  measurements: number;
  labels: Partial<Record<VerdictLabel, number>>;
  anomalies: number;
  changed: number;
  badLines: number;
}

function brief(v: Pick<Verdict, 'blocking' | 'accessible' | 'status'>): string {
  return `${v.blocking ?? 'no blocking'} (${v.status}, accessible ${String(v.accessible)})`;
}

function sameVerdict(a: Verdict, b: Verdict): boolean {
  return a.blocking === b.blocking && a.accessible === b.accessible && a.status === b.status;
}

async function analyzeReports(files: string[], flags: AnalyzeFlags, options: ClassifyOptions, io: Io): Promise<number> {
  const c = chalkFor(io.stdout, io.env);
  // Output is batched (one write per ~64 KiB) and waits for 'drain': fast, and bounded in memory.
  let pending = '';
  const out = (s: string): void => {
    pending += `${s}\n`;
  };
  const flush = async (): Promise<void> => {
    if (pending === '') return;
    const chunk = pending;
    pending = '';
    if (!io.stdout.write(chunk)) await once(io.stdout, 'drain');
  };
  const counts: Counts = { measurements: 0, labels: {}, anomalies: 0, changed: 0, badLines: 0 };
  for (const file of files) {
    const shown = shownPath(io.cwd, file);
    try {
      for await (const entry of readReport(file)) {
        const where = `${shown}:${entry.line}`;
        if (entry.record === undefined) {
          counts.badLines++;
          if (flags.json) out(JSON.stringify({ kind: 'bad_line', where, error: entry.error }));
          // Control bytes from a binary file must not reach the terminal.
          else io.stderr.write(`${where}: ${(entry.error ?? 'bad line').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 300)}\n`);
          continue;
        }
        if (pending.length >= 65_536) await flush();
        const record = entry.record;
        const stored = record.verdict as Verdict | undefined;
        if (stored === undefined || record.observations === undefined || record.control === undefined) {
          counts.badLines++;
          const error = 'not a report record (no verdict, observations or control)';
          if (flags.json) out(JSON.stringify({ kind: 'bad_line', where, error }));
          else io.stderr.write(`${where}: ${error}\n`);
          continue;
        }
        counts.measurements++;
        let verdict = stored;
        if (flags.reclassify) {
          const detectThrottling = throttlingHook(record.throttling);
          verdict = classify({ url: record.input, observations: record.observations, control: record.control }, { ...options, ...(detectThrottling ? { detectThrottling } : {}) }).verdict;
          if (!sameVerdict(stored, verdict)) {
            counts.changed++;
            if (flags.json) {
              out(JSON.stringify({ kind: 'changed', where, input: record.input, before: pick(stored), after: pick(verdict), reasons: verdict.reasons, fingerprints: verdict.fingerprints ?? [] }));
            } else {
              out(`${c.dim(where)} ${c.bold('changed')} ${record.input}: ${brief(stored)} → ${brief(verdict)}`);
              for (const r of verdict.reasons) out(`    ${c.dim(r)}`);
            }
          }
        }
        const label = verdictLabel(verdict);
        counts.labels[label] = (counts.labels[label] ?? 0) + 1;
        if (verdict.status === 'anomaly' || verdict.status === 'confirmed') {
          counts.anomalies++;
          if (flags.json) {
            out(JSON.stringify({ kind: 'anomaly', where, input: record.input, verdict: pick(verdict), layers: verdict.layers, reasons: verdict.reasons, fingerprints: verdict.fingerprints ?? [] }));
          } else {
            const status = verdict.status === 'confirmed' ? c.bold(' (confirmed)') : '';
            out(`${c.dim(where)} ${c.red(LABEL_TEXT[label])} ${record.input}${status}`);
            const reason = verdict.reasons[0];
            if (reason !== undefined) out(`    ${c.dim(reason)}`);
          }
        }
      }
    } catch (e) {
      throw new UsageError(`${shown}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  if (flags.json) {
    out(JSON.stringify({ kind: 'summary', measurements: counts.measurements, counts: counts.labels, anomalies: counts.anomalies, ...(flags.reclassify ? { changed: counts.changed } : {}), bad_lines: counts.badLines }));
    await flush();
    return noMeasurements(counts, io);
  }
  out('');
  out(c.bold(`${counts.measurements} measurement${counts.measurements === 1 ? '' : 's'} in ${files.length} report${files.length === 1 ? '' : 's'}` +
    `${counts.badLines ? `, ${counts.badLines} bad line${counts.badLines === 1 ? '' : 's'}` : ''}:`));
  for (const label of ORDER) {
    const n = counts.labels[label];
    if (n) out(`  ${LABEL_TEXT[label].padEnd(22)} ${n}`);
  }
  out(`Anomalies: ${counts.anomalies}`);
  if (flags.reclassify) out(`Changed by the current rules: ${counts.changed} of ${counts.measurements}`);
  await flush();
  return noMeasurements(counts, io);
}

/** Exit code of an analysis: 2 (bad input) when the files held no measurement at all. */
function noMeasurements(counts: Counts, io: Io): number {
  if (counts.measurements > 0) return 0;
  io.stderr.write(`censorprobe: no report line could be read${counts.badLines ? ` (${counts.badLines} bad line${counts.badLines === 1 ? '' : 's'})` : ''}: is this a censorprobe report?\n`);
  return 2;
}

/** A path as the user would type it: relative to `cwd` when inside it, else absolute. */
function shownPath(cwd: string, p: string): string {
  const rel = path.relative(cwd, p);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

function pick(v: Verdict): Pick<Verdict, 'blocking' | 'accessible' | 'status'> {
  return { blocking: v.blocking, accessible: v.accessible, status: v.status };
}

async function fromOoni(files: string[], flags: AnalyzeFlags, options: ClassifyOptions, io: Io): Promise<number> {
  const reportPath = await resolveReportPath({ output: flags.output, json: flags.json === true || flags.output === undefined, cwd: io.cwd });
  const toFile = reportPath !== null;
  const human = toFile ? io.stdout : io.stderr;
  const say = (s: string): void => void human.write(`${s}\n`);
  const writer = createReportWriter(reportPath === null ? { stream: io.stdout } : { path: reportPath });
  const runId = randomUUID();
  const now = new Date().toISOString();
  const labels: Partial<Record<VerdictLabel, number>> = {};
  let written = 0;
  let skipped = 0;
  let disagree = 0;
  try {
    for (const f of files) {
      let list: string[];
      try {
        list = await findOoniFiles(f);
      } catch (e) {
        throw new UsageError(`${f}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
      for (const file of list) {
        for await (const entry of readOoniFile(file)) {
          const where = shownPath(io.cwd, entry.where);
          if (entry.error !== undefined) {
            skipped++;
            say(`${where}: ${entry.error}`);
            continue;
          }
          let imported;
          try {
            imported = importOoniMeasurement(entry.measurement);
          } catch (e) {
            skipped++;
            say(`${where}: skipped (${e instanceof Error ? e.message.replace(/^importOoniMeasurement: /, '') : String(e)})`);
            continue;
          }
          const record: ReportRecord = ooniToRecord(imported, { ...options, softwareVersion: SOFTWARE_VERSION, runId, now });
          await writer.write(record);
          written++;
          const label = verdictLabel(record.verdict);
          labels[label] = (labels[label] ?? 0) + 1;
          if (compareWithRecorded(imported.recorded, record.ooni).length > 0) disagree++;
        }
      }
    }
  } finally {
    await writer.close();
  }
  say(`${written} OONI measurement${written === 1 ? '' : 's'} converted${skipped ? `, ${skipped} skipped` : ''}; ` +
    `OONI keys (blocking, accessible, dns_consistency) agree on ${written - disagree}/${written}.`);
  for (const label of ORDER) {
    const n = labels[label];
    if (n) say(`  ${LABEL_TEXT[label].padEnd(22)} ${n}`);
  }
  if (reportPath !== null) say(`Report: ${reportPath}`);
  if (written === 0) {
    io.stderr.write('censorprobe: no OONI Web Connectivity measurement found in the input\n');
    return 2;
  }
  return 0;
}
