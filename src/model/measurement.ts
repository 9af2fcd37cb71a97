/**
 * The report line: one measurement of one target, as written to JSONL (docs/report-format.md).
 * snake_case keys, `null` for "no failure", `schema_version` on every line, no probe IP.
 */
import type { ResolverIdentity } from './resolver.js';
import type { ThRequest, ThResponse } from './control.js';
import type { Observations } from './observations.js';
import type { ThrottlingRecord, VantageRecord } from './throttling.js';

/** Version of the report line format; bump the major on breaking changes. See `schema/report-line.schema.json`. */
export const SCHEMA_VERSION = '1.4.0';

/** A target to measure, after normalisation (targets/). */
export interface Target {
  /** Normalised URL: http(s), lower-case punycode host, default path `/`. */
  url: string;
  /** Citizen Lab category code (e.g. `NEWS`), or null. */
  category_code: string | null;
  /** Where the target came from, e.g. `argv`, `default`, `list.txt:12`. */
  source: string;
}

/** OONI's `dns_consistency`. */
export type DnsConsistency = 'consistent' | 'inconsistent' | null;

/** OONI's `blocking` values. */
export type OoniBlocking = 'dns' | 'tcp_ip' | 'http-failure' | 'http-diff' | false | null;

/**
 * The OONI Web Connectivity keys computed with the LTE (v0.5) rules
 * (docs/verdict-rules.md; `analysisclassic.go`).
 */
export interface OoniAnalysis {
  dns_experiment_failure: string | null;
  dns_consistency: DnsConsistency;
  control_failure: string | null;
  http_experiment_failure: string | null;
  body_length_match: boolean | null;
  /** min/max of body lengths, 0 when not computed. */
  body_proportion: number;
  status_code_match: boolean | null;
  headers_match: boolean | null;
  title_match: boolean | null;
  blocking: OoniBlocking;
  accessible: boolean | null;
  x_dns_flags: number;
  x_blocking_flags: number;
  x_null_null_flags: number;
}

/** The layer where the probe first diverged from the control (docs/verdict-rules.md). */
export type VerdictBlocking = 'dns' | 'tcp_ip' | 'tls' | 'http-failure' | 'http-diff' | 'throttling' | null;

/** How sure the verdict is (docs/verdict-rules.md). */
export type VerdictStatus = 'ok' | 'anomaly' | 'confirmed' | 'down' | 'inconclusive';

/** Our verdict. */
export interface Verdict {
  blocking: VerdictBlocking;
  accessible: boolean | null;
  status: VerdictStatus;
  /** Every layer that looked interfered with. */
  layers: Exclude<VerdictBlocking, null>[];
  /** Short human sentences with the numbers behind the verdict. */
  reasons: string[];
  /**
   * Ids of the blockpage or false-positive fingerprints that matched (e.g.
   * `censorprobe.fp_cloudflare_challenge`); absent when none did. Since 1.2.0, optional.
   */
  fingerprints?: string[];
  /**
   * The typed evidence behind the verdict, in the order it was found (hop by hop, then DNS, TCP,
   * TLS, HTTP, throttling); `reasons` are rendered from it. Since 1.3.0, optional (older lines
   * have none). See docs/verdict-rules.md.
   */
  evidence?: VerdictEvidence[];
}

/** The layer an evidence entry is about: a verdict layer, or `control` (about the control itself). */
export type EvidenceLayer = Exclude<VerdictBlocking, null> | 'control';

/**
 * What an evidence entry does to the verdict: `diverged` (the probe's step differs from the
 * control's: the layer is listed in `layers`), `confirmed` (a divergence that is unambiguous: a
 * blockpage fingerprint or a forged certificate), `down` (the control failed the same way),
 * `genuine` (proof that the probe got the real thing), `inconclusive` (nothing can be concluded at
 * this step), `note` (context only).
 */
export type EvidenceEffect = 'diverged' | 'confirmed' | 'down' | 'genuine' | 'inconclusive' | 'note';

/**
 * An observation an evidence entry cites: `list` names the array (`queries`, `tcp_connect`,
 * `tls_handshakes`, `requests`, `x_not_dialled` of `observations`; `control` for the helper's
 * answer or the DoH reference), `index` its position there, `transaction_id` when it has one,
 * `key` the control's key (`IP:PORT`, `dns`, `http_request`, `hops[N]`).
 */
export interface EvidenceCite {
  list: 'queries' | 'tcp_connect' | 'tls_handshakes' | 'requests' | 'x_not_dialled' | 'control';
  index?: number;
  transaction_id?: number;
  key?: string;
}

/**
 * One typed piece of evidence (since 1.3.0). `kind` is a stable identifier (e.g.
 * `dns_bogon_answer`, `tcp_connect_failed`, `tls_forged_certificate`, `http_unexpected_redirect`;
 * the list is in docs/verdict-rules.md); `hop` is the redirect depth (0 = the input URL);
 * `figures` holds numbers (units in the name: `_ms`, `_bytes`, `_bps`); `detail` holds the strings
 * the sentence needs (addresses, failure strings, URLs).
 */
export interface VerdictEvidence {
  layer: EvidenceLayer;
  kind: string;
  hop: number;
  effect: EvidenceEffect;
  cites: EvidenceCite[];
  figures: Record<string, number>;
  detail: Record<string, string | string[] | boolean | null>;
}

/** Where the control came from. */
export type ControlSource = 'helper' | 'doh' | 'file' | 'none';

/** The control part of a report line. */
export interface ControlRecord {
  source: ControlSource;
  /** The helper URL, DoH resolver URL or control file that answered; null for `none`. */
  address: string | null;
  request: ThRequest | null;
  response: ThResponse | null;
  /** Why no usable control was obtained (our failure vocabulary), null when it was. */
  failure: string | null;
  /**
   * DNS answers from an independent resolver (DNS-over-HTTPS) when no helper answered: the only
   * control available then. Used by our verdict, never by the OONI keys (OONI without a helper
   * reports `control_failure` and null keys).
   */
  dns_reference: DnsReference | null;
  t0: number | null;
  t: number | null;
  /** With `source: 'file'` (`run --control-file`): when the control was recorded (ISO-8601 UTC). */
  recorded_at?: string | null;
  /** With `source: 'file'`: the control's age when this measurement used it, s. */
  age_s?: number | null;
  /** With `source: 'file'`: the age beyond which DNS comparisons are inconclusive, s (`--control-max-age`). */
  max_age_s?: number;
}

/** Answers of an independent resolver used as a DNS-only control. */
export interface DnsReference {
  /** e.g. `https://dns.google/dns-query`. */
  resolver_address: string;
  failure: string | null;
  addrs: string[];
}

/** One JSONL line. */
export interface ReportRecord {
  schema_version: string;
  software_name: 'censorprobe';
  software_version: string;
  /** ISO-8601 UTC start of the whole run. */
  test_start_time: string;
  /** ISO-8601 UTC start of this measurement. */
  measurement_start_time: string;
  /** Seconds this measurement took. */
  test_runtime: number;
  /** Random id of the run (shared by its lines). */
  run_id: string;
  input: string;
  category_code: string | null;
  /** The resolver the probe used: `system` or `udp://IP:PORT`. */
  resolver: string;
  /** Which resolver that was (configured servers, whoami egress, public or not); since 1.2.0, optional. */
  resolver_identity?: ResolverIdentity;
  /** Options that shape the measurement (timeouts in ms, body cap in bytes). */
  options: MeasurementOptionsRecord;
  observations: Observations;
  control: ControlRecord;
  ooni: OoniAnalysis;
  verdict: Verdict;
  /** Throttling screening (every measurement) and escalation (suspicious or `--throttling`); since 1.1.0, optional. */
  throttling?: ThrottlingRecord;
  /** The vantage point's state from the baseline checks (absent with `--no-baselines`); since 1.1.0, optional. */
  vantage?: VantageRecord;
  /** For a measurement imported from OONI: its origin (since 1.2.0, optional). */
  ooni_source?: OoniSourceRecord;
  /** The IP-to-ASN database the classification asked, when it asked one (since 1.2.0, optional). */
  asn_db?: AsnDbRecord;
}

/**
 * Where an imported OONI measurement came from (`censorprobe analyze --from-ooni`): OONI's ids and
 * times as OONI wrote them (`measurement_start_time` like `2023-08-24 14:35:29`, UTC) and the
 * analysis keys OONI recorded in `test_keys` (blocking, accessible, dns_consistency, ...).
 */
export interface OoniSourceRecord {
  report_id: string | null;
  measurement_uid?: string | null;
  measurement_start_time: string | null;
  probe_asn?: string | null;
  probe_cc?: string | null;
  software_name?: string | null;
  software_version?: string | null;
  test_version?: string | null;
  /** Which probe wrote it: `python`, `mk` (Measurement Kit), `go` (before LTE), `lte` (docs/ooni-import.md). */
  vintage?: 'python' | 'mk' | 'go' | 'lte';
  recorded?: Partial<OoniAnalysis>;
  /** What the import inferred from an old layout (requests reordered, connects inferred, ...). */
  import_notes?: string[];
  /** Where our OONI keys differ from the recorded ones, and why (`agreement` keys only). */
  differences?: { key: string; recorded: unknown; ours: unknown; why: string }[];
}

/** The IP-to-ASN data a line's classification used: npm package name and exact version. */
export interface AsnDbRecord {
  name: string;
  version: string;
}

/** The measurement options echoed in the report. */
export interface MeasurementOptionsRecord {
  dns_timeout_ms: number;
  connect_timeout_ms: number;
  tls_timeout_ms: number;
  http_timeout_ms: number;
  control_timeout_ms: number;
  max_body_bytes: number;
  max_redirects: number;
}
