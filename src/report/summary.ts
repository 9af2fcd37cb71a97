/**
 * The part of a report line a summary reads (`analyze` without `--reclassify`): the line parsed and
 * checked at the boundary (readReport's checks, then the schema's `verdict` scope), reduced to its
 * input and verdict. Pure apart from the compiled validator; shared by the in-thread reader and the
 * parse workers (`read-summaries.ts`, `summary-worker.ts`).
 */
import type { Verdict } from '../model/index.js';
import { parseReportLine, tornLine, type RawReportLine } from './read.js';
import { validateReportLine } from './schema.js';

/** The verdict fields a summary shows (the evidence stays in the report). */
export type SummaryVerdict = Pick<Verdict, 'blocking' | 'accessible' | 'status' | 'layers' | 'reasons' | 'fingerprints'>;

/**
 * LineSummary: one non-blank line. Exactly one of: `error` (readReport's reason: bad JSON, not a
 * record, torn...), `invalid` (the schema's error lines, `/json/pointer: message`, for a record
 * whose verdict scope does not validate), or `input` with `verdict` (a usable line).
 */
export interface LineSummary {
  line: number;
  error?: string;
  invalid?: string[];
  input?: string;
  verdict?: SummaryVerdict;
}

/**
 * summarizeLine parses and checks one raw line against `ownVersion` (SCHEMA_VERSION; newer-minor
 * lines are read as validateReportLine allows). Returns null for a blank line. Never throws for a
 * bad line.
 */
export function summarizeLine(raw: RawReportLine, ownVersion: string): LineSummary | null {
  const entry = raw.torn ? tornLine(raw) : parseReportLine(raw.text, raw.line);
  if (entry === null) return null;
  if (entry.record === undefined) return { line: entry.line, error: entry.error ?? 'bad line' };
  const valid = validateReportLine(entry.record, ownVersion, 'verdict');
  if (!valid.ok) return { line: entry.line, invalid: valid.errors };
  const v = entry.record.verdict;
  const verdict: SummaryVerdict = { blocking: v.blocking, accessible: v.accessible, status: v.status, layers: v.layers, reasons: v.reasons, ...(v.fingerprints !== undefined ? { fingerprints: v.fingerprints } : {}) };
  return { line: entry.line, input: entry.record.input, verdict };
}
