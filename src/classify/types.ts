/**
 * Inputs shared by every classifier.
 */
import type { ControlRecord, Observations, ResolverIdentity } from '../model/index.js';

/**
 * ClassifyInput is one measurement as the classifiers see it: the measured URL (the input, before
 * redirects), every observation of the probe, and the control record (`control.response` is the
 * helper's ThResponse or null; `control.failure` says why there is none; `control.dns_reference`
 * holds DoH answers used when no helper answered).
 */
export interface ClassifyInput {
  url: string;
  observations: Observations;
  control: ControlRecord;
  /** The run's resolver identity (`resolver_identity`): its whoami lookup shows a UDP resolver answered during the run. */
  resolverIdentity?: ResolverIdentity | undefined;
}

/**
 * AsnLookup maps an IP address to its autonomous system number; 0 means unknown. Used by the DNS
 * comparison (addresses in the same non-zero ASN are consistent).
 */
export type AsnLookup = (ip: string) => number;
