/**
 * What every layer analysis of our verdict reads besides its hop: the observations, the control,
 * the ASN lookup, the fingerprints, the throttling hook, and the state the walk carries from one
 * layer to the next (whether DNS already diverged). Pure data.
 */
import type { Observations, ThResponse, VerdictEvidence } from '../model/index.js';
import type { Cites } from './evidence.js';
import type { FingerprintMatch, FingerprintSet } from './fingerprint.js';
import type { ThrottlingHook } from './layer-throttling.js';
import type { AsnLookup, ClassifyInput } from './types.js';

/** The walk's context (one per measurement). */
export interface VerdictContext {
  input: ClassifyInput;
  obs: Observations;
  /** The helper's answer; null without a helper (the DoH reference is then the DNS control). */
  resp: ThResponse | null;
  asn: AsnLookup;
  fps: FingerprintSet | null;
  cites: Cites;
  detectThrottling: ThrottlingHook | undefined;
  /** Slow-for-everyone detector (a truncated success, not a failure); see VerdictOptions. */
  detectSlowServer: ThrottlingHook | undefined;
  /** Whether the control fetched the page in the end: true, false, or null (no helper). */
  controlFetched: boolean | null;
  /** Set by the DNS layer of the current hop: the entry that made DNS diverge, or null. */
  dnsDivergence: VerdictEvidence | null;
  /** A false-positive fingerprint seen on an earlier response of the chain. */
  falsePositive: FingerprintMatch | null;
  /** The throttling finding, computed once. */
  throttling?: VerdictEvidence | null;
}

/** True when the DNS answer of the current hop diverged (and the divergence still stands). */
export function dnsDiverged(ctx: VerdictContext): boolean {
  return ctx.dnsDivergence !== null && ctx.dnsDivergence.effect !== 'note';
}

/** True when the DNS divergence is only "another network, no proof", which a same failure of the control may explain. */
export function dnsTentative(ctx: VerdictContext): boolean {
  return ctx.dnsDivergence?.kind === 'dns_other_network' && ctx.dnsDivergence.effect === 'diverged';
}
