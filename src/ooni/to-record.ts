/**
 * From an imported OONI measurement to our report line: our classification on OONI's
 * observations, OONI's ids and recorded keys kept under `ooni_source`. Pure.
 */
import { classify, type ClassifyOptions } from '../classify/index.js';
import { SCHEMA_VERSION, type OoniAnalysis, type ReportRecord } from '../model/index.js';
import type { ImportedOoniMeasurement } from './import.js';

/** OONI's defaults for Web Connectivity LTE (ooni-reference.md 1.1): the options an OONI probe used. */
const OONI_OPTIONS: ReportRecord['options'] = {
  dns_timeout_ms: 4000,
  connect_timeout_ms: 10_000,
  tls_timeout_ms: 10_000,
  http_timeout_ms: 10_000,
  control_timeout_ms: 30_000,
  max_body_bytes: 524_288,
  max_redirects: 10,
};

/**
 * ooniTime converts OONI's `YYYY-MM-DD hh:mm:ss` (UTC) to ISO-8601 (`YYYY-MM-DDThh:mm:ssZ`);
 * an ISO string passes through; anything else → `fallback`.
 */
export function ooniTime(t: string | null, fallback: string): string {
  if (t === null) return fallback;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)Z?$/.exec(t.trim());
  return m ? `${m[1]}T${m[2]}Z` : fallback;
}

/** Options of {@link ooniToRecord}. */
export interface OoniToRecordOptions extends ClassifyOptions {
  /** Our software version (written as `software_version`). */
  softwareVersion: string;
  /** Run id shared by the lines of one analyze run. */
  runId: string;
  /** ISO-8601 UTC, used when OONI's times are missing. */
  now: string;
}

/**
 * ooniToRecord classifies an imported OONI measurement and builds our {@link ReportRecord}:
 * `measurement_start_time`/`test_start_time` are OONI's, converted to ISO-8601; `resolver` is
 * `system` (OONI's getaddrinfo path); `options` are OONI LTE defaults; `category_code` null;
 * `ooni_source` keeps OONI's report id, times as written, probe network and the recorded keys.
 * Never throws on an imported measurement.
 */
export function ooniToRecord(m: ImportedOoniMeasurement, opts: OoniToRecordOptions): ReportRecord {
  const { ooni, verdict } = classify({ url: m.url, observations: m.observations, control: m.control }, opts);
  return {
    schema_version: SCHEMA_VERSION,
    software_name: 'censorprobe',
    software_version: opts.softwareVersion,
    test_start_time: ooniTime(m.test_start_time, opts.now),
    measurement_start_time: ooniTime(m.source.measurement_start_time, opts.now),
    test_runtime: m.test_runtime !== null && m.test_runtime >= 0 ? m.test_runtime : 0,
    run_id: opts.runId,
    input: m.url,
    category_code: null,
    resolver: 'system',
    options: OONI_OPTIONS,
    observations: m.observations,
    control: m.control,
    ooni,
    verdict,
    ooni_source: m.source,
  };
}

/** The keys whose agreement with OONI is checked (issue 4 acceptance). */
export const AGREEMENT_KEYS = ['blocking', 'accessible', 'dns_consistency'] as const;

/** One disagreement: the key, OONI's recorded value and ours. */
export interface KeyDifference {
  key: (typeof AGREEMENT_KEYS)[number];
  recorded: unknown;
  ours: unknown;
}

/**
 * compareWithRecorded lists the {@link AGREEMENT_KEYS} where our OONI analysis differs from the
 * keys OONI recorded (a key OONI did not write counts as null). Empty = agreement.
 */
export function compareWithRecorded(recorded: Partial<OoniAnalysis>, ours: OoniAnalysis): KeyDifference[] {
  const out: KeyDifference[] = [];
  for (const key of AGREEMENT_KEYS) {
    const r = recorded[key] ?? null;
    if (r !== ours[key]) out.push({ key, recorded: r, ours: ours[key] });
  }
  return out;
}
