/**
 * report/: the JSONL report. `writer.ts` appends one measurement per line, each line written whole in
 * one write call (with the CLI's SIGINT handler awaiting `close()`, no half line; a fatal kill mid-write
 * can at most leave an unterminated last line, which `read.ts` reports as torn and the next writer
 * isolates on its own line); `read.ts` streams a report back
 * (for `--resume` and `analyze`), reporting torn or bad lines as data (`read-summaries.ts`: the
 * verdicts of a large report parsed by worker threads, `summary-worker.ts`); `scrub.ts` removes the probe's
 * own addresses from a record before it is written (OONI ScrubMeasurement); `schema.ts` validates a
 * line against the published JSON Schema `schema/report-line.schema.json` (draft 2020-12).
 *
 * May import: `model/` and node built-ins; `schema.ts` alone also imports ajv. Invariants: snake_case
 * keys, `schema_version` on every line, one line per measurement, no probe address in what we write
 * when the caller scrubs with the known addresses.
 */
export { createReportWriter, defaultReportPath, serializeRecord } from './writer.js';
export type { ReportDestination, ReportWriter, ReportWriterOptions } from './writer.js';
export { readReport, readReportLines, measuredInputs } from './read.js';
export type { RawReportLine, ReportLine } from './read.js';
export { readSummaries, PARALLEL_MIN_BYTES } from './read-summaries.js';
export type { ReadSummariesOptions } from './read-summaries.js';
export { summarizeLine } from './summary.js';
export type { LineSummary, SummaryVerdict } from './summary.js';
export { needsScrubbing, scrubRecord, SCRUBBED } from './scrub.js';
export { validateRecord, validateReportLine, loadReportSchema, reportSchemaPath, findPackageRoot, REPORT_SCHEMA_RELATIVE_PATH } from './schema.js';
export type { ValidationResult, ValidationScope } from './schema.js';
export { ReportWriteError, ReportLockedError } from './errors.js';
export type { ReportWriteFailure } from './errors.js';
export { acquireReportLock } from './lock.js';
export type { ReportLock } from './lock.js';
export { settleTail, trimTornTail, type SettledTail } from './tail.js';
export { jsonSafe, hasUnsafeChars, replaceUnsafeChars, UNSAFE_CHARS } from './unsafe-chars.js';
