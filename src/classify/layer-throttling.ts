/**
 * Throttling layer: turns the throttling detector's decision (src/throttling, docs/throttling.md)
 * into evidence. Every numeric field of the decision record is copied into `figures` generically
 * (nested keys joined with `.`), so new fields of the decision flow through without a change here.
 * Pure.
 */
import type { VerdictEvidence } from '../model/index.js';
import type { VerdictContext } from './context.js';
import { ev, numericFigures } from './evidence.js';
import type { ClassifyInput } from './types.js';

/** What a throttling detector may return: a sentence, or a sentence with the decision record behind it. */
export interface ThrottlingFinding {
  reason: string;
  /** The decision record (e.g. `ThrottlingDecision`); its numbers become figures. */
  decision?: object;
}

/**
 * ThrottlingHook is the seam for the throttling detector: given the input, it returns a finding
 * (or just its sentence) when the probe's transfer was throttled, else null/undefined.
 */
export type ThrottlingHook = (input: ClassifyInput) => string | ThrottlingFinding | null | undefined;

/** analyzeThrottling asks the hook once per measurement; the evidence (layer `throttling`, diverged) or null. */
export function analyzeThrottling(ctx: VerdictContext, hop: number): VerdictEvidence | null {
  if (ctx.throttling !== undefined) return ctx.throttling;
  const out = ctx.detectThrottling?.(ctx.input) ?? null;
  if (out === null || out === undefined) {
    ctx.throttling = null;
    return null;
  }
  const finding: ThrottlingFinding = typeof out === 'string' ? { reason: out } : out;
  ctx.throttling = ev('throttling', 'throttling_detected', hop, 'diverged', {
    figures: numericFigures(finding.decision ?? {}),
    detail: { reason: finding.reason },
  });
  return ctx.throttling;
}

/**
 * throttlingNotDetected: the note for a throttling test that ran and found nothing (`sentence`
 * says so with its numbers; every number of `decision` goes into figures).
 */
export function throttlingNotDetected(sentence: string, decision: object): VerdictEvidence {
  return ev('throttling', 'throttling_not_detected', 0, 'note', { figures: numericFigures(decision), detail: { reason: sentence } });
}


/**
 * analyzeSlowServer: when the probe's body read ran into its deadline after bytes arrived and the
 * control was as slow (the slow-server hook answers), the site is slow for everyone: a `note` with
 * the rates, and the request counts as a truncated success (docs/throttling.md, "Slow for everyone").
 */
export function analyzeSlowServer(ctx: VerdictContext, hop: number): VerdictEvidence | null {
  const out = ctx.detectSlowServer?.(ctx.input) ?? null;
  if (out === null || out === undefined) return null;
  const finding: ThrottlingFinding = typeof out === 'string' ? { reason: out } : out;
  return ev('throttling', 'slow_for_everyone', hop, 'note', { figures: numericFigures(finding.decision ?? {}), detail: { reason: finding.reason } });
}
