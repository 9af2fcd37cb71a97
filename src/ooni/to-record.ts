/**
 * From an imported OONI measurement to our report line: our classification on OONI's
 * observations, OONI's ids and recorded keys kept under `ooni_source`, with the reason for every
 * key where our OONI analysis (the v0.5 classic rules) differs from what OONI recorded. Pure.
 */
import { classify, type ClassifyOptions } from '../classify/index.js';
import { SCHEMA_VERSION, type AsnDbRecord, type OoniAnalysis, type ReportRecord } from '../model/index.js';
import type { ImportedOoniMeasurement, OoniVintage } from './import.js';

/** OONI's defaults for Web Connectivity LTE: the options an OONI probe used. */
const OONI_OPTIONS: ReportRecord['options'] = {
  dns_timeout_ms: 4000,
  connect_timeout_ms: 10_000,
  tls_timeout_ms: 10_000,
  http_timeout_ms: 10_000,
  control_timeout_ms: 30_000,
  max_body_bytes: 524_288,
  max_redirects: 10,
};

/** Options of {@link ooniToRecord}. */
export interface OoniToRecordOptions extends ClassifyOptions {
  /** Our software version (written as `software_version`). */
  softwareVersion: string;
  /** Run id shared by the lines of one analyze run. */
  runId: string;
  /**
   * The ASN database behind `asnLookup`, written as `asn_db` on the line when the classification
   * asked it (see `src/runner/asn-db.ts`).
   */
  asnDb?: AsnDbRecord;
}

/** The keys whose agreement with OONI is checked. */
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

const VINTAGE_NAME: Record<OoniVintage, string> = {
  python: 'the Python ooniprobe',
  mk: 'Measurement Kit',
  go: 'the Go probe engine before LTE',
  lte: 'Web Connectivity LTE',
};

/**
 * explainDifferences says why each difference arose (docs/ooni-import.md, "Why keys differ"):
 * the probe that recorded the keys and the rule of its version that gives a different answer on
 * the same observations, or the data the measurement lacks. Returns one entry per difference.
 */
export function explainDifferences(m: ImportedOoniMeasurement, ours: OoniAnalysis, diffs: readonly KeyDifference[]): { key: string; recorded: unknown; ours: unknown; why: string }[] {
  const s = m.source;
  const by = `recorded by ${s.software_name ?? '?'} ${s.software_version ?? '?'} (web_connectivity ${s.test_version ?? '?'}, ${VINTAGE_NAME[m.vintage]})`;
  const rec = m.recorded;
  const resp = m.control.response;
  const controlHttpFailed = resp !== null && resp.http_request.failure !== null;
  const probeHttpFailed = m.observations.requests.some((r) => r.failure !== null) || typeof rec.http_experiment_failure === 'string';
  const exception = m.notes.find((n) => n.includes('exception inside the probe'));
  return diffs.map((d) => {
    let why: string;
    if (exception !== undefined) {
      why = `${by}: its http_experiment_failure is an exception inside that probe (a bug), not a network failure, so there is no HTTP result to judge; v0.5's rules then give ${JSON.stringify(d.ours)}`;
    } else if (m.vintage === 'lte' && /^0\.5\.([0-9]|1[0-9]|2[0-6])$/.test(s.test_version ?? '')) {
      why = `${by}, before LTE adopted the classic analysis we apply (ooni/probe-cli commit 0d55aa76c, 2023-12-01, test version 0.5.27): its earlier rules give ${d.key} ${JSON.stringify(d.recorded)} where the classic rules give ${JSON.stringify(d.ours)}`;
    } else if (d.key === 'dns_consistency') {
      why = `${by}, whose DNS comparison differs from v0.5's (v0.5 also accepts addresses of the same ASN or proven by TLS, and treats bogons as inconsistent)`;
    } else if ((rec.blocking ?? null) === null && ours.blocking === false && ours.accessible === false && controlHttpFailed) {
      why = `${by}, whose rules leave blocking null when the control's fetch failed too (${resp.http_request.failure ?? ''}); v0.5's rules call the probe and the control failing alike "website down" (blocking false, accessible false)`;
    } else if (rec.accessible === true && ours.accessible === false && probeHttpFailed && controlHttpFailed) {
      why = `${by}, whose rules set accessible true when the probe's HTTP request failed (${String(rec.http_experiment_failure ?? '')}) and the control's failed too; v0.5's rules call that "website down" (accessible false)`;
    } else if (m.vintage === 'lte') {
      why = `${by}, the rules we apply: the difference comes from data the archived measurement does not carry the same way (e.g. the ASNs of addresses, looked up in our pinned IP-to-ASN data instead of OONI's)`;
    } else {
      why = `${by}, whose rules differ from v0.5's classic analysis, which we apply to the same observations: OONI ${d.key} ${JSON.stringify(d.recorded)}, v0.5 ${JSON.stringify(d.ours)}` +
        (m.notes.length > 0 ? ` (import: ${m.notes.join('; ')})` : '');
    }
    return { key: d.key, recorded: d.recorded, ours: d.ours, why };
  });
}

/**
 * ooniToRecord classifies an imported OONI measurement and builds our {@link ReportRecord}:
 * `measurement_start_time`/`test_start_time` are OONI's (validated at import), as ISO-8601;
 * `resolver` is `system` (OONI's getaddrinfo path); `options` are OONI LTE defaults;
 * `category_code` null; `ooni_source` keeps OONI's report id, times as written, probe network,
 * vintage, the recorded keys and, where ours differ, `differences` with the reason; `asn_db` when
 * the ASN database was asked. Never throws on an imported measurement.
 */
export function ooniToRecord(m: ImportedOoniMeasurement, opts: OoniToRecordOptions): ReportRecord {
  let asked = false;
  const hook = opts.asnLookup;
  const asnLookup = hook === undefined ? undefined : (ip: string): number => {
    asked = true;
    return hook(ip);
  };
  const { ooni, verdict } = classify({ url: m.url, observations: m.observations, control: m.control }, { ...opts, ...(asnLookup ? { asnLookup } : {}) });
  const diffs = compareWithRecorded(m.recorded, ooni);
  const source = { ...m.source };
  if (diffs.length > 0) source.differences = explainDifferences(m, ooni, diffs);
  return {
    schema_version: SCHEMA_VERSION,
    software_name: 'censorprobe',
    software_version: opts.softwareVersion,
    test_start_time: m.test_start_time,
    measurement_start_time: m.measurement_start_time,
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
    ooni_source: source,
    ...(asked && opts.asnDb !== undefined ? { asn_db: opts.asnDb } : {}),
  };
}
