/**
 * classify/: from observations and a control to OONI's Web Connectivity keys and our verdict.
 *
 * Pure functions only: no I/O, no clock, no randomness. Imports only `src/model` (types and
 * constants), ipaddr.js and csv-parse (fingerprint files and the IP-to-ASN index are parsed here
 * from text the caller read: see `src/cli/fingerprints.ts`, `src/runner/asn-db.ts`).
 * `analyzeOoni` reproduces OONI Web Connectivity LTE (v0.5) classic analysis
 * (OONI probe-cli webconnectivitylte/analysisclassic.go); `classifyVerdict` is our own verdict (docs/verdict-rules.md),
 * which names the first diverging layer and states where it deviates from OONI. Invariant: the same
 * input always yields the same output; nothing here throws on well-typed input.
 */
import type { OoniAnalysis, Verdict } from '../model/index.js';
import { analyzeOoni, type AnalyzeOoniOptions } from './ooni.js';
import type { ClassifyInput } from './types.js';
import { classifyVerdict, type VerdictOptions } from './verdict.js';

export { isBogon, isLoopback } from './bogon.js';
export {
  BODY_PROPORTION_THRESHOLD,
  COMMON_HEADERS,
  TITLE_MIN_WORD_BYTES,
  bodyLengthMatch,
  bodyProportion,
  compareHttpResponses,
  headersMatch,
  isHttpDiff,
  statusCodeMatch,
  titleDifferentLongWords,
  titleMatch,
  uncommonHeadersIntersection,
  type HttpDiffMatches,
  type HttpDiffMetrics,
  type HttpResponseSummary,
} from './http-diff.js';
export {
  BLOCKING_FLAGS,
  DNS_FLAGS,
  NULL_NULL_FLAGS,
  analyzeOoni,
  createAsnLookup,
  dnsConsistency,
  type AnalyzeOoniOptions,
} from './ooni.js';
export type { AsnLookup, ClassifyInput } from './types.js';
export { buildAsnIndexV4, buildAsnIndexV6, ipKey, unwrapNat64, type AsnIndex } from './asn.js';
export {
  createFingerprintSet,
  describeMatch,
  isWeak,
  matchDnsAnswers,
  matchHttpResponse,
  matchesText,
  mergeFingerprintSets,
  type Fingerprint,
  type FingerprintKind,
  type FingerprintLocation,
  type FingerprintMatch,
  type FingerprintPatternType,
  type FingerprintSet,
} from './fingerprint.js';
export {
  detectFingerprintFormat,
  formatFingerprintError,
  parseFingerprints,
  type FingerprintError,
  type FingerprintFormat,
  type ParsedFingerprints,
} from './fingerprint-parse.js';
export { CURATED_FINGERPRINT_LINES, curatedFingerprints, type FingerprintLine } from './data/curated-fingerprints.js';
export { classifyVerdict, type ThrottlingFinding, type ThrottlingHook, type VerdictOptions } from './verdict.js';
export { EVIDENCE_KINDS, renderReason, renderReasons } from './reasons.js';
export { throttlingNotDetected } from './layer-throttling.js';
export { combine } from './combine.js';
export { compareAnswers, answersConsistent } from './dns-consistency.js';
export { isFinalStatus, redirectOf } from './response.js';

/** Options of {@link classify}: the OONI analysis options plus the verdict options. */
export interface ClassifyOptions extends AnalyzeOoniOptions, VerdictOptions {}

/** The two analyses of one measurement. */
export interface Classification {
  ooni: OoniAnalysis;
  verdict: Verdict;
}

/**
 * classify runs {@link analyzeOoni} then {@link classifyVerdict} on one measurement and returns
 * both. Pure; never throws on well-typed input.
 */
export function classify(input: ClassifyInput, options: ClassifyOptions = {}): Classification {
  const ooni = analyzeOoni(input, options);
  return { ooni, verdict: classifyVerdict(input, ooni, options) };
}
