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
import { createReportWriter, readReport, readSummaries, validateReportLine, type LineSummary, type SummaryVerdict } from '../report/index.js';
import { SCHEMA_VERSION } from '../model/index.js';
import { claimReport } from './report-path.js';
import { safeJson, safeText } from './escape.js';
import { EXIT, signalExitCode } from './exit-codes.js';
import { sharedAsnDatabase } from '../runner/asn-db.js';
import { slowServerHook, throttlingHook } from '../throttling/index.js';
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
  /** Files that could not be opened or read (exit USAGE). */
  unreadable: number;
}

function brief(v: Pick<Verdict, 'blocking' | 'accessible' | 'status'>): string {
  return `${v.blocking ?? 'no blocking'} (${v.status}, accessible ${String(v.accessible)})`;
}

function sameVerdict(a: Pick<Verdict, 'blocking' | 'accessible' | 'status'>, b: Pick<Verdict, 'blocking' | 'accessible' | 'status'>): boolean {
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
  const counts: Counts = { measurements: 0, labels: {}, anomalies: 0, changed: 0, badLines: 0, unreadable: 0 };
  // One bad line (bad JSON, not schema-valid, a record the classifier chokes on) is reported as
  // FILE:LINE: reason and the rest goes on; one unreadable file is reported and the others go on.
  const badLine = (where: string, error: string): void => {
    counts.badLines++;
    if (flags.json) out(safeJson({ kind: 'bad_line', where, error }));
    else io.stderr.write(`${safeText(where)}: ${safeText(error, 300)}\n`);
  };
  for (const file of files) {
    const shown = shownPath(io.cwd, file);
    try {
      // --reclassify uses every observation: the whole schema; a summary reads the verdict only
      // (checked at the boundary by its own scope), parsed by worker threads for a large report.
      const lines: AsyncIterable<LineSummary & { record?: ReportRecord }> = flags.reclassify ? fullLines(file) : readSummaries(file, SCHEMA_VERSION);
      for await (const entry of lines) {
        const where = `${shown}:${entry.line}`;
        if (pending.length >= 65_536) await flush();
        if (entry.error !== undefined) {
          badLine(where, entry.error);
          continue;
        }
        if (entry.invalid !== undefined || entry.verdict === undefined || entry.input === undefined) {
          const errors = entry.invalid ?? [];
          const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
          badLine(where, `not a valid report line: ${errors[0] ?? 'schema'}${more}`);
          continue;
        }
        const input = entry.input;
        const stored = entry.verdict;
        let verdict: SummaryVerdict & Pick<Verdict, 'evidence'> = stored;
        if (flags.reclassify && entry.record !== undefined) {
          const record = entry.record;
          try {
            const hook = throttlingHook(record.throttling);
            const decision = record.throttling?.escalation?.decision;
            const detectThrottling = hook && decision ? () => ({ reason: hook(), decision }) : hook;
            const detectSlowServer = slowServerHook(record.throttling, record.control);
            verdict = classify({ url: record.input, observations: record.observations, control: record.control, resolverIdentity: record.resolver_identity }, { ...options, ...(detectThrottling ? { detectThrottling } : {}), ...(detectSlowServer ? { detectSlowServer } : {}) }).verdict;
          } catch (e) {
            // A schema-valid line the rules cannot handle is a bug of ours: named, never fatal.
            badLine(where, `cannot be re-classified (internal error: ${e instanceof Error ? e.message : String(e)})`);
            continue;
          }
        }
        counts.measurements++;
        if (flags.reclassify && !sameVerdict(stored, verdict)) {
          counts.changed++;
          if (flags.json) {
            out(safeJson({ kind: 'changed', where, input, before: pick(stored), after: pick(verdict), reasons: verdict.reasons, fingerprints: verdict.fingerprints ?? [], evidence: verdict.evidence ?? [] }));
          } else {
            out(`${c.dim(safeText(where))} ${c.bold('changed')} ${safeText(input)}: ${brief(stored)} → ${brief(verdict)}`);
            for (const r of verdict.reasons) out(`    ${c.dim(safeText(r))}`);
          }
        }
        const label = verdictLabel(verdict);
        counts.labels[label] = (counts.labels[label] ?? 0) + 1;
        if (verdict.status === 'anomaly' || verdict.status === 'confirmed') {
          counts.anomalies++;
          if (flags.json) {
            out(safeJson({ kind: 'anomaly', where, input, verdict: pick(verdict), layers: verdict.layers, reasons: verdict.reasons, fingerprints: verdict.fingerprints ?? [] }));
          } else {
            const status = verdict.status === 'confirmed' ? c.bold(' (confirmed)') : '';
            out(`${c.dim(safeText(where))} ${c.red(LABEL_TEXT[label])} ${safeText(input)}${status}`);
            const reason = verdict.reasons[0];
            if (reason !== undefined) out(`    ${c.dim(safeText(reason))}`);
          }
        }
      }
    } catch (e) {
      // Only the file's open/read can throw here (bad lines are data): name it and go on.
      counts.unreadable++;
      await flush();
      io.stderr.write(`censorprobe: ${safeText(shown)}: cannot read (${safeText((e as NodeJS.ErrnoException).code ?? String(e))})\n`);
    }
  }
  if (flags.json) {
    out(safeJson({ kind: 'summary', measurements: counts.measurements, counts: counts.labels, anomalies: counts.anomalies, ...(flags.reclassify ? { changed: counts.changed } : {}), bad_lines: counts.badLines, ...(counts.unreadable ? { unreadable_files: counts.unreadable } : {}) }));
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

/**
 * The lines of a report for `--reclassify`, which uses every observation: each parsed line checked
 * against the whole schema, as a {@link LineSummary} with the record.
 */
async function* fullLines(file: string): AsyncGenerator<LineSummary & { record?: ReportRecord }, void, undefined> {
  for await (const entry of readReport(file)) {
    if (entry.record === undefined) {
      yield { line: entry.line, error: entry.error ?? 'bad line' };
      continue;
    }
    const valid = validateReportLine(entry.record, SCHEMA_VERSION, 'full');
    yield valid.ok ? { line: entry.line, input: entry.record.input, verdict: entry.record.verdict, record: entry.record } : { line: entry.line, invalid: valid.errors };
  }
}

/**
 * Exit code of an analysis: USAGE (bad input) when a file could not be read or the files held no
 * measurement at all; OK otherwise (bad lines were reported one by one).
 */
function noMeasurements(counts: Counts, io: Io): number {
  if (counts.unreadable > 0) return EXIT.USAGE;
  if (counts.measurements > 0) return EXIT.OK;
  io.stderr.write(`censorprobe: no report line could be read${counts.badLines ? ` (${counts.badLines} bad line${counts.badLines === 1 ? '' : 's'})` : ''}: is this a censorprobe report?\n`);
  return EXIT.USAGE;
}

/** A path as the user would type it: relative to `cwd` when inside it, else absolute. */
function shownPath(cwd: string, p: string): string {
  const rel = path.relative(cwd, p);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

function pick(v: Pick<Verdict, 'blocking' | 'accessible' | 'status'>): Pick<Verdict, 'blocking' | 'accessible' | 'status'> {
  return { blocking: v.blocking, accessible: v.accessible, status: v.status };
}

async function fromOoni(files: string[], flags: AnalyzeFlags, options: ClassifyOptions, io: Io): Promise<number> {
  const claim = await claimReport({ output: flags.output, json: flags.json === true || flags.output === undefined, cwd: io.cwd });
  try {
    return await fromOoniInto(claim.path, files, options, io, flags.asnDb === true);
  } finally {
    await claim.release();
  }
}

async function fromOoniInto(reportPath: string | null, files: string[], options: ClassifyOptions, io: Io, useAsnDb: boolean): Promise<number> {
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
  // A signal stops after the record being written: every line stays whole (exit-codes.ts).
  let stopped: number | null = null;
  const unsubscribe = io.onSignal((sig) => {
    stopped ??= signalExitCode(sig);
  });
  try {
    outer: for (const f of files) {
      let list: string[];
      try {
        list = await findOoniFiles(f);
      } catch (e) {
        throw new UsageError(`${f}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
      for (const file of list) {
        for await (const entry of readOoniFile(file)) {
          if (stopped !== null) break outer;
          const where = safeText(shownPath(io.cwd, entry.where));
          if (entry.error !== undefined) {
            skipped++;
            say(`${where}: ${safeText(entry.error, 300)}`);
            continue;
          }
          let record: ReportRecord;
          let differs: boolean;
          try {
            const imported = importOoniMeasurement(entry.measurement, { now });
            record = ooniToRecord(imported, { ...options, softwareVersion: SOFTWARE_VERSION, runId, ...(useAsnDb && sharedAsnDatabase().info !== null ? { asnDb: sharedAsnDatabase().info ?? undefined } : {}) });
            differs = compareWithRecorded(imported.recorded, record.ooni).length > 0;
          } catch (e) {
            // One measurement that cannot be converted is named (FILE:LINE) and the rest goes on.
            skipped++;
            say(`${where}: skipped (${safeText(e instanceof Error ? e.message.replace(/^importOoniMeasurement: /, '') : String(e), 300)})`);
            continue;
          }
          await writer.write(record);
          written++;
          const label = verdictLabel(record.verdict);
          labels[label] = (labels[label] ?? 0) + 1;
          if (differs) disagree++;
        }
      }
    }
  } finally {
    unsubscribe();
    await writer.close();
  }
  say(`${written} OONI measurement${written === 1 ? '' : 's'} converted${skipped ? `, ${skipped} skipped` : ''}; ` +
    `OONI keys (blocking, accessible, dns_consistency) agree on ${written - disagree}/${written}.`);
  for (const label of ORDER) {
    const n = labels[label];
    if (n) say(`  ${LABEL_TEXT[label].padEnd(22)} ${n}`);
  }
  if (reportPath !== null) say(`Report: ${safeText(reportPath)}`);
  if (stopped !== null) return stopped;
  if (written === 0) {
    io.stderr.write('censorprobe: no OONI Web Connectivity measurement found in the input\n');
    return EXIT.USAGE;
  }
  return EXIT.OK;
}
