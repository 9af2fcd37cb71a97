/**
 * The frozen configuration of one run, built by the CLI from flags (the core never reads argv or
 * the environment). Times in ms, sizes in bytes.
 */
import type { FlowOptions } from '../flows/index.js';

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
}
