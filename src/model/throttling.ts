/**
 * Throttling and outage records of the report (docs/throttling.md, docs/network-state.md).
 * Units are in the names: `_ms` milliseconds, `_bytes` bytes, `_bps` BITS per second (goodput, as
 * rate limits are quoted: "150 kbit/s"), `_kbps` kilobits per second.
 */

/** Tag of the `bytes_received_cumulative` samples that count TCP bytes under TLS (records included). */
export const WIRE_TAG = 'wire';

/**
 * The arm of a transfer (docs/throttling.md "Arms"): the measurement itself (`main`), the target
 * (`target`: the site's address, the site's name), the same address with a harmless name
 * (`reference`), and a path the censor does not key on (`other_path`: the helper's reference
 * stream, over TLS for https targets, with the harmless name).
 */
export type TransferArm = 'main' | 'target' | 'reference' | 'other_path';

/**
 * TransferMetrics: timings and the byte curve of one transfer (one fresh connection, one GET).
 * - `t_connect_ms`, `t_tls_ms` (null for plain HTTP or when not reached), `t_ttfb_ms` (request
 *   start to first response byte; null when none);
 * - `bytes`: response bytes received (head + body, plaintext as read from the HTTP connection);
 * - `wire_bytes`: bytes read from the TCP socket (TLS records and handshake included), null when
 *   not known (the main measurement);
 * - `duration_ms`: request start to the end of the read;
 * - `goodput_bps`: bits/s over the bytes after the first 16 KiB; null when fewer than
 *   {@link MIN_GOODPUT_BYTES}-worth arrived after them (see src/throttling/metrics.ts);
 * - `samples`: bytes received per 250 ms bin from the request start (at most 240 bins);
 * - `max_gap_ms`: longest time without a read between the first byte and the end;
 * - `stall_after_bytes`: bytes received before a final silence that ended in a timeout or EOF
 *   (a freeze), else null: `wire_bytes` when known (a freeze counts TCP bytes: the plaintext of a
 *   TLS record cut in the middle never arrives), else `bytes`;
 * - `goodput_basis`: which byte curve the goodput, samples and stall come from: `wire` (TCP bytes,
 *   sampled every 250 ms under TLS) or `plaintext` (HTTP reads); null when no request was sent;
 * - `goodput_window_ms`: the time window the goodput was measured over (null: no goodput);
 * - `completed`: the body ended (EOF) or reached the byte cap without failure;
 * - `failure`, `failed_operation`: our failure vocabulary (null on success).
 */
export interface TransferMetrics {
  arm: TransferArm;
  /** 0-based index of the pair (0 for the main measurement). */
  trial: number;
  /** `IP:PORT`. */
  address: string;
  /** SNI sent, null for plain HTTP. */
  sni: string | null;
  /** Host header sent. */
  host: string;
  t_connect_ms: number | null;
  t_tls_ms: number | null;
  t_ttfb_ms: number | null;
  bytes: number;
  wire_bytes: number | null;
  goodput_basis: 'wire' | 'plaintext' | null;
  goodput_window_ms: number | null;
  duration_ms: number;
  goodput_bps: number | null;
  samples: number[];
  max_gap_ms: number;
  stall_after_bytes: number | null;
  completed: boolean;
  failure: string | null;
  failed_operation: string | null;
}

/** Why a target was escalated to paired transfers (docs/throttling.md "Escalation" a-d). */
export type EscalationTrigger = 'slow_handshake' | 'low_goodput' | 'stall_mid_body' | 'reset_after_handshake' | 'requested';

/** The outcome of the throttling decision (docs/throttling.md "Decision", rules 1-7). */
export type ThrottlingOutcome =
  | 'throttled'
  | 'throttled_severe'
  | 'throttled_freeze'
  | 'throttled_handshake'
  | 'blocked'
  | 'not_throttled'
  | 'server_slow'
  | 'inconclusive';

/** The decision with every figure behind it. */
export interface ThrottlingDecision {
  outcome: ThrottlingOutcome;
  /** True for the `throttled*` outcomes: the verdict is then `throttling`. */
  throttled: boolean;
  /**
   * Median goodput per arm (bits/s), null when the arm had too few usable transfers or did not
   * run; `control`: the helper's own fetch of the page.
   */
  goodput_bps: { target: number | null; reference: number | null; other_path: number | null; control: number | null };
  /**
   * What the throttling is keyed on: `name` (the target is slow, the same address with a
   * harmless name is fast), `address` (both slow, the other path and the control fast); null.
   */
  key: 'name' | 'address' | null;
  /** The arm the target was compared with for `ratio` and `p_value`. */
  compared_with: 'reference' | 'other_path' | null;
  /** median(target) / median(compared arm); null when not computable. */
  ratio: number | null;
  /** One-sided Mann-Whitney U test (target slower than reference) on per-trial goodput. */
  mann_whitney_u: number | null;
  p_value: number | null;
  /** Two-sample Kolmogorov-Smirnov p-value on the pooled non-zero 250 ms samples. */
  ks_p_value: number | null;
  /** Median bytes before the repeatable freeze; null when no freeze. */
  freeze_after_bytes: number | null;
  /** Median TLS handshake time per arm (ms), for the handshake-only rule. */
  handshake_ms: { target: number | null; reference: number | null };
  /** p-value of the one-sided test "target handshakes slower". */
  handshake_p_value: number | null;
  /** Usable transfers per arm. */
  trials: { target: number; reference: number; other_path: number };
  /**
   * Interference with the address and port whatever the name: every transfer of the target and
   * of the harmless name was reset after a completed handshake, while the other path worked.
   */
  interference: { kind: 'reset_on_data'; address: string; names: string[] } | null;
  /** Who is slow when it is not throttling: the server (control slow too) or the whole network. */
  attribution: 'server_slow' | 'network_degraded' | null;
  /** Mechanism hint (does not change the outcome): a flat low plateau is a policer. */
  mechanism: 'policer' | 'congestion' | null;
  /** Median target goodput in kbit/s when a policer is likely. */
  plateau_kbps: number | null;
  /** Sentences with the numbers, most important first. */
  reasons: string[];
}

/** The cheap screening done on every measurement, from the main transfer's events. */
export interface ThrottlingScreening {
  transfer: TransferMetrics | null;
  /** Which escalation triggers fired (empty: not suspicious). */
  suspicious: EscalationTrigger[];
  /**
   * Slow for everyone (docs/throttling.md "Slow servers"): the main transfer was slow or cut by
   * its deadline after bytes arrived, and the control's fetch was as slow (`control_goodput_bps`,
   * bits/s, null when the helper gave no rate) or cut by its own deadline (`control_cut`). The
   * target is then not escalated (a slow server), and a cut body read is a truncated success.
   * Optional: absent in reports before the three-arm test; null when not slow for everyone.
   */
  slow_for_everyone?: { probe_goodput_bps: number | null; control_goodput_bps: number | null; control_cut: boolean } | null;
}

/** The paired-transfer test of an escalated target. */
export interface ThrottlingEscalation {
  triggers: EscalationTrigger[];
  /**
   * How the reference was made: same server address with a harmless SNI/Host (`same_address`;
   * with an `other_path` arm too when a helper was given), or only the helper's reference stream
   * (`helper_stream`, reports before 1.2).
   */
  reference: 'same_address' | 'helper_stream';
  /** The other path's URL (the helper's reference stream), null when no helper was usable. */
  other_path_url?: string | null;
  /** Harmless SNI (https) or Host (http) of the reference arm. */
  reference_name: string;
  /** Seed of the interleaving order (reproducible runs). */
  seed: number;
  /** Rounds planned (one transfer per arm each; `--throttling-pairs`, default 5). */
  pairs: number;
  /** Arm of each transfer, in the order run. */
  order: ('target' | 'reference' | 'other_path')[];
  /**
   * The helper's own fetch of the page ran into its deadline after body bytes arrived (slow for
   * the control too). Optional: absent in reports before 1.2.
   */
  control_slow?: boolean;
  /** Budgets of each transfer. */
  max_bytes: number;
  timeout_ms: number;
  transfers: TransferMetrics[];
  decision: ThrottlingDecision;
}

/** The `throttling` object of a report line. */
export interface ThrottlingRecord {
  screening: ThrottlingScreening;
  /** Null when the target was not escalated (or escalation is disabled). */
  escalation: ThrottlingEscalation | null;
}

/** The state of the probe's vantage point (docs/throttling.md). */
export type VantageState =
  | 'normal'
  | 'local_offline'
  | 'dns_broken'
  | 'captive_portal'
  | 'international_cut'
  | 'allowlist_only'
  | 'port_443_cut'
  | 'general_degradation';

/** Scope of a baseline check: the local network (system resolver), a domestic or an international host. */
export type BaselineScope = 'local' | 'domestic' | 'international';

/** One baseline check's result. */
export interface BaselineResult {
  /** The check as given, e.g. `tcp://1.1.1.1:443`, `http://captive.apple.com/`, `system-dns:www.google.com`, `helper`. */
  check: string;
  scope: BaselineScope;
  ok: boolean;
  failure: string | null;
  /** Time the check took, ms. */
  duration_ms: number;
  /** Since 1.2.0, optional: the kind of check (`tcp`, `tls`, `dns`, `system-dns`, `http`). */
  kind?: 'tcp' | 'tls' | 'dns' | 'system-dns' | 'http';
  /** Since 1.2.0, optional: the TCP port the check used (none for `system-dns`). */
  port?: number;
  /** Since 1.2.0, optional: the check targets a public resolver (its failure alone is not an outage). */
  resolver?: boolean;
  /**
   * Since 1.2.0, optional: something answered, but not what the service answers (NXDOMAIN or a
   * bogon for a stable name, a certificate that does not verify, an unexpected HTTP page).
   */
  altered?: boolean;
  /** Since 1.2.0, optional: what was wrong, in a few words (e.g. `HTTP 302 to http://login.example/`). */
  detail?: string;
}

/** One round of baseline checks and the state it implies. */
export interface BaselineRound {
  /** Why the round ran: before the run, after a streak of failing targets, after the run. */
  when: 'before' | 'streak' | 'after';
  /** ISO-8601 UTC. */
  time: string;
  state: VantageState;
  /** One sentence saying why. */
  reason: string;
  results: BaselineResult[];
  /**
   * Since 1.2.0, optional: the largest delay of the probe's own event loop during the round, ms
   * (perf_hooks.monitorEventLoopDelay): a stalled probe makes every check look slow.
   */
  loop_delay_ms?: number;
}

/**
 * The `vantage` object of a report line: the state of the probe's network when this target was
 * classified, and the baseline round that decided it. When `state` is not `normal` the verdict is
 * `inconclusive` and its first reason says why.
 */
export interface VantageRecord {
  state: VantageState;
  reason: string;
  round: BaselineRound;
}
