/**
 * The report line of a target whose measurement hit an internal error (a bug: network failures are
 * observations and never throw): the target still gets its line, so nothing is silently lost and
 * `--resume` measures it again. The failure string is from the vocabulary (`control.failure` =
 * {@link INTERNAL_ERROR_FAILURE}); the error's own text is free text and goes to
 * `verdict.reasons`, never into a failure field (docs/report-format.md, "Failures").
 */
import type { ReportRecord, Target } from '../model/index.js';
import type { RunConfig } from './config.js';
import type { RunContext } from './measure-target.js';
import { recordEnvelope } from './record-envelope.js';

/** The failure string of a measurement that ended in an internal error. */
export const INTERNAL_ERROR_FAILURE = 'unknown_failure: internal_error';

/**
 * internalErrorRecord builds the line of `target` after `error` was thrown while measuring it
 * (`startedAt` when it began). Every observation list is empty, the control is `none` with
 * failure {@link INTERNAL_ERROR_FAILURE}, the OONI keys are null, the verdict `inconclusive` with
 * the error's message (first line, at most 500 characters) in its reason. Never throws.
 */
export function internalErrorRecord(target: Target, config: RunConfig, run: RunContext, error: unknown, startedAt: Date, now: Date = new Date()): ReportRecord {
  const raw = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const message = (raw.split('\n')[0] ?? '').slice(0, 500);
  return {
    ...recordEnvelope(target, config, run, startedAt, Math.max(0, (now.getTime() - startedAt.getTime()) / 1000)),
    observations: { queries: [], tcp_connect: [], tls_handshakes: [], requests: [], network_events: [] },
    control: { source: 'none', address: null, request: null, response: null, failure: INTERNAL_ERROR_FAILURE, dns_reference: null, t0: null, t: null },
    ooni: {
      dns_experiment_failure: null,
      dns_consistency: null,
      control_failure: INTERNAL_ERROR_FAILURE,
      http_experiment_failure: null,
      body_length_match: null,
      body_proportion: 0,
      status_code_match: null,
      headers_match: null,
      title_match: null,
      blocking: null,
      accessible: null,
      x_dns_flags: 0,
      x_blocking_flags: 0,
      x_null_null_flags: 0,
    },
    verdict: {
      blocking: null,
      accessible: null,
      status: 'inconclusive',
      layers: [],
      reasons: [`internal error while measuring (a bug in censorprobe, please report it): ${message}`],
    },
  };
}
