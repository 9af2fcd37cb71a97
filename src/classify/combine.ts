/**
 * The combiner of our verdict: from the evidence of every layer of every hop, in walk order, to
 * `blocking` (the first layer that diverged), `layers`, `status` and `accessible`
 * (docs/verdict-rules.md, "Combining"). Pure.
 */
import type { Verdict, VerdictBlocking, VerdictEvidence, VerdictStatus } from '../model/index.js';

type Layer = Exclude<VerdictBlocking, null>;

/** The decided fields of a verdict. */
export type Decision = Pick<Verdict, 'blocking' | 'accessible' | 'status' | 'layers'>;

/**
 * combine: `layers` are the layers of the `diverged`/`confirmed` entries in order (the `control`
 * layer never counts); `blocking` the first of them. With a blocking layer, `status` is
 * `confirmed` when any entry is `confirmed`, else `anomaly`, and `accessible` defaults to false;
 * without one, a `down` entry makes the verdict `down` (accessible false), `accessible` true
 * makes it `ok`, anything else is `inconclusive`.
 */
export function combine(evidence: readonly VerdictEvidence[], accessible: boolean | null): Decision {
  const layers: Layer[] = [];
  for (const e of evidence) {
    if ((e.effect === 'diverged' || e.effect === 'confirmed') && e.layer !== 'control' && !layers.includes(e.layer)) layers.push(e.layer);
  }
  const blocking = layers[0] ?? null;
  let status: VerdictStatus;
  let acc = accessible;
  if (blocking !== null) {
    status = evidence.some((e) => e.effect === 'confirmed') ? 'confirmed' : 'anomaly';
    if (acc === null) acc = false;
  } else if (evidence.some((e) => e.effect === 'down')) {
    status = 'down';
    acc = false;
  } else if (acc === true) {
    status = 'ok';
  } else {
    status = 'inconclusive';
  }
  return { blocking, accessible: acc, status, layers };
}

/** Fingerprint evidence that did not decide anything (weak, ignored, or a false positive not needed). */
const NOT_LISTED: ReadonlySet<string> = new Set(['http_weak_fingerprint', 'http_fingerprint_same_as_control', 'http_false_positive_fingerprint']);

/** The ids of the fingerprints the evidence names, once each, in order. */
export function fingerprintIds(evidence: readonly VerdictEvidence[]): string[] {
  const out: string[] = [];
  for (const e of evidence) {
    if (NOT_LISTED.has(e.kind)) continue;
    const id = e.detail['fingerprint'];
    if (typeof id === 'string' && !out.includes(id)) out.push(id);
  }
  return out;
}
