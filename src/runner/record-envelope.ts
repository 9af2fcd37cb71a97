/**
 * The envelope every report line shares (who measured what, when, with which options): one
 * definition for a measured line (measure-target.ts) and for the line of a target whose
 * measurement hit a bug (internal-error.ts). Field meanings: docs/report-format.md.
 */
import type { ReportRecord, Target } from '../model/index.js';
import { SCHEMA_VERSION } from '../model/index.js';
import type { RunConfig } from './config.js';
import type { RunContext } from './measure-target.js';
import { SOFTWARE_VERSION } from './version.js';

/** The envelope fields of a report line. */
export type RecordEnvelope = Pick<ReportRecord, 'schema_version' | 'software_name' | 'software_version' | 'test_start_time' | 'measurement_start_time' | 'test_runtime' | 'run_id' | 'input' | 'category_code' | 'resolver' | 'options'>;

/**
 * recordEnvelope builds the envelope of `target`'s line: `startedAt` is the measurement's start,
 * `runtimeS` its duration in seconds. Pure; never throws.
 */
export function recordEnvelope(target: Target, config: RunConfig, run: RunContext, startedAt: Date, runtimeS: number): RecordEnvelope {
  return {
    schema_version: SCHEMA_VERSION,
    software_name: 'censorprobe',
    software_version: SOFTWARE_VERSION,
    test_start_time: run.testStartTime,
    measurement_start_time: startedAt.toISOString(),
    test_runtime: runtimeS,
    run_id: run.runId,
    input: target.url,
    category_code: target.category_code,
    resolver: config.resolver.kind === 'system' ? 'system' : config.resolver.kind === 'udp' ? `udp://${config.resolver.ip}:${config.resolver.port}` : config.resolver.url,
    options: {
      dns_timeout_ms: config.timeouts.dnsMs,
      connect_timeout_ms: config.timeouts.connectMs,
      tls_timeout_ms: config.timeouts.tlsMs,
      http_timeout_ms: config.timeouts.httpMs,
      control_timeout_ms: config.timeouts.controlMs,
      max_body_bytes: config.maxBodyBytes,
      max_redirects: config.maxRedirects,
    },
  };
}
