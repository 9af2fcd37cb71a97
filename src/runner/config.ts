/**
 * The frozen configuration of one run, built by the CLI from flags (the core never reads argv or
 * the environment). Times in ms, sizes in bytes.
 */
import type { AsnLookup, FingerprintSet } from '../classify/index.js';
import type { AsnDbRecord } from '../model/index.js';
import type { BaselineCheck } from '../outage/index.js';
import type { ThrottlingConfig } from './throttling-check.js';
import type { FlowOptions } from '../flows/index.js';
import type { ControlFile } from './control-file.js';

/** Everything that shapes how targets are measured and controlled. */
export interface RunConfig {
  /** The probe's resolver: the system's (getaddrinfo) or a direct UDP resolver. */
  resolver: FlowOptions['resolver'];
  timeouts: FlowOptions['timeouts'] & { controlMs: number };
  maxBodyBytes: number;
  maxRedirects: number;
  /** Extra trusted CA certificates (PEM), e.g. the lab CA. Never disables verification. */
  extraCa: string[];
  /** Helper URL (OONI test-helper protocol); null → DNS-only control through DoH. */
  controlUrl: string | null;
  /** DoH resolvers for the DNS-only control; empty → no control at all. */
  dohResolvers: string[];
  /** Targets measured at once. */
  concurrency: number;
  /** Recorded controls used instead of a live helper (`--control-file`; control-file.ts); absent: none. */
  controlFile?: ControlFile;
  /** Targets started per second at most (`--rate-limit`); absent: no limit. */
  rateLimit?: number;
  /**
   * Fingerprints for the verdict (optional): the curated set merged with `--fingerprints` files;
   * default (absent): the curated set only.
   */
  fingerprints?: FingerprintSet;
  /** IP-to-ASN hook for the DNS comparison (optional; the CLI passes the lazy `@ip-location-db/asn` database). */
  asnLookup?: AsnLookup;
  /** Name and exact version of the data behind `asnLookup`, written as `asn_db` on lines that asked it. */
  asnDb?: AsnDbRecord;
  /** Throttling screening/escalation (optional; absent: screening only, no escalation). See throttling-check.ts. */
  throttling?: ThrottlingConfig;
  /**
   * Baseline checks for outage detection (optional; absent or empty: none). `checks` are parsed
   * specs (outage/baselines.ts), `timeoutMs` per check, `streak`: consecutive not-accessible
   * targets that trigger a new round (0: never).
   */
  baselines?: { checks: BaselineCheck[]; timeoutMs: number; streak: number };
}
