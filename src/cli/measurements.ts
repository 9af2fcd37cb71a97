/**
 * Reading recorded measurements for offline commands (`check`, `diff`, `report`): our JSONL
 * reports and OONI Web Connectivity measurements (JSON object, array or JSONL; a directory is read
 * recursively), told apart per measurement: an OONI measurement has `test_keys`, ours has
 * `schema_version`, `observations` and `control`. Streams: memory does not grow with the input.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { classify, type ClassifyOptions } from '../classify/index.js';
import type { ReportRecord, Verdict } from '../model/index.js';
import { importOoniMeasurement } from '../ooni/import.js';
import { findOoniFiles, readOoniFile } from '../ooni/read.js';
import { ooniToRecord } from '../ooni/to-record.js';
import { throttlingHook } from '../throttling/index.js';
import { SOFTWARE_VERSION } from '../runner/version.js';
import { staleControlVerdict } from '../runner/control-file.js';
import { UsageError } from './options.js';

/** One measurement read: `where` is `FILE:LINE` (or `FILE[i]`, `FILE`), relative to the working directory when inside it. */
export interface ReadMeasurement {
  where: string;
  /** The line (OONI measurements converted to our shape). Absent when `error` is set. */
  record?: ReportRecord;
  /** The verdict to use: the stored one, or the current rules' when `reclassify` (always for OONI input). */
  verdict?: Verdict;
  /** Why the entry is not usable (bad JSON, not a measurement). */
  error?: string;
}

/** Options of {@link readMeasurements}. */
export interface ReadMeasurementsOptions {
  cwd: string;
  /** Re-run the current rules on our stored observations (OONI input is always classified now). */
  reclassify: boolean;
  classify: ClassifyOptions;
}

/** A path as the user would type it: relative to `cwd` when inside it, else absolute. */
export function shownPath(cwd: string, p: string): string {
  const rel = path.relative(cwd, p);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * readMeasurements yields every measurement of `files` in order. Throws {@link UsageError} when a
 * file or directory cannot be read (exit 2); bad entries are yielded with `error`.
 */
export async function* readMeasurements(files: readonly string[], o: ReadMeasurementsOptions): AsyncGenerator<ReadMeasurement, void, undefined> {
  const runId = randomUUID();
  const now = new Date().toISOString();
  for (const file of files) {
    const abs = path.resolve(o.cwd, file);
    let list: string[];
    try {
      list = await findOoniFiles(abs);
    } catch (e) {
      throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    for (const f of list) {
      try {
        for await (const entry of readOoniFile(f)) {
          const where = shownPath(o.cwd, entry.where);
          if (entry.error !== undefined) {
            yield { where, error: entry.error };
            continue;
          }
          const m = entry.measurement;
          if (isObject(m) && isObject(m['test_keys'])) {
            try {
              const record = ooniToRecord(importOoniMeasurement(m, { now }), { ...o.classify, softwareVersion: SOFTWARE_VERSION, runId });
              yield { where, record, verdict: record.verdict };
            } catch (e) {
              yield { where, error: `not a usable OONI Web Connectivity measurement (${e instanceof Error ? e.message : String(e)})` };
            }
            continue;
          }
          if (!isObject(m) || typeof m['schema_version'] !== 'string' || typeof m['input'] !== 'string' || !isObject(m['verdict']) || !isObject(m['observations']) || !isObject(m['control'])) {
            yield { where, error: 'not a report record (no verdict, observations or control) nor an OONI measurement (no test_keys)' };
            continue;
          }
          const record = m as unknown as ReportRecord;
          if (!o.reclassify) {
            yield { where, record, verdict: record.verdict };
            continue;
          }
          try {
            const detectThrottling = throttlingHook(record.throttling);
            const { verdict } = classify({ url: record.input, observations: record.observations, control: record.control, resolverIdentity: record.resolver_identity }, { ...o.classify, ...(detectThrottling ? { detectThrottling } : {}) });
            // A recorded control past its age limit: the same rule as the run (src/runner/control-file.ts).
            yield { where, record, verdict: staleControlVerdict(verdict, record.control) };
          } catch (e) {
            yield { where, error: `cannot re-classify (${e instanceof Error ? e.message : String(e)})` };
          }
        }
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`${shownPath(o.cwd, f)}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
    }
  }
}
