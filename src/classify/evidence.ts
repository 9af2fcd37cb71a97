/**
 * Evidence as data: the builder of {@link VerdictEvidence} entries and the index of observations
 * they cite. Every layer analysis returns a {@link Finding} made of such entries; the combiner
 * (`combine.ts`) decides from their `effect`s and `reasons.ts` renders the sentences. The kinds
 * are listed in docs/verdict-rules.md. Pure.
 */
import type { EvidenceCite, EvidenceEffect, EvidenceLayer, Observations, VerdictEvidence } from '../model/index.js';

/** What one layer analysis of one hop found. */
export interface Finding {
  evidence: VerdictEvidence[];
  /** True when this layer ended the walk (nothing after it can be compared). */
  stop: boolean;
  /** Set when the layer knows whether the probe got the genuine content. */
  accessible?: boolean | null;
}

/** The empty finding: nothing to say, go on. */
export const NOTHING: Finding = Object.freeze({ evidence: [], stop: false }) as Finding;

/** Optional parts of an entry. */
export interface EvidenceParts {
  cites?: EvidenceCite[];
  figures?: Record<string, number>;
  detail?: VerdictEvidence['detail'];
}

/** ev builds one entry. */
export function ev(layer: EvidenceLayer, kind: string, hop: number, effect: EvidenceEffect, parts: EvidenceParts = {}): VerdictEvidence {
  return { layer, kind, hop, effect, cites: parts.cites ?? [], figures: parts.figures ?? {}, detail: parts.detail ?? {} };
}

/** found wraps entries into a finding. */
export function found(evidence: VerdictEvidence[], stop: boolean, accessible?: boolean | null): Finding {
  return accessible === undefined ? { evidence, stop } : { evidence, stop, accessible };
}

/** Positions of the observations in their report arrays, for citations. */
export class Cites {
  private readonly pos = new Map<object, EvidenceCite>();
  constructor(obs: Observations) {
    obs.queries.forEach((o, i) => this.pos.set(o, { list: 'queries', index: i, transaction_id: o.transaction_id }));
    obs.tcp_connect.forEach((o, i) => this.pos.set(o, { list: 'tcp_connect', index: i, transaction_id: o.transaction_id }));
    obs.tls_handshakes.forEach((o, i) => this.pos.set(o, { list: 'tls_handshakes', index: i, transaction_id: o.transaction_id }));
    obs.requests.forEach((o, i) => this.pos.set(o, { list: 'requests', index: i, transaction_id: o.transaction_id }));
    (obs.x_not_dialled ?? []).forEach((o, i) => this.pos.set(o, { list: 'x_not_dialled', index: i }));
  }
  /** The citations of observations (unknown objects are skipped). */
  of(...items: readonly object[]): EvidenceCite[] {
    const out: EvidenceCite[] = [];
    for (const o of items) {
      const c = this.pos.get(o);
      if (c !== undefined) out.push({ ...c });
    }
    return out;
  }
}

/** A citation of the control's answer (`key`: `dns`, `IP:PORT`, `http_request`, `hops[N]`, `dns_reference`). */
export function controlCite(key: string): EvidenceCite {
  return { list: 'control', key };
}

/**
 * numericFigures copies every finite number of a record into figures, nested keys joined with
 * `.` (e.g. `goodput_bps.target`), so that fields added later to a record flow through unchanged.
 * Depth and size are bounded (4 levels, 64 figures).
 */
export function numericFigures(record: unknown, prefix = '', out: Record<string, number> = {}, depth = 0): Record<string, number> {
  if (record === null || typeof record !== 'object' || depth > 4) return out;
  for (const [k, v] of Object.entries(record as Record<string, unknown>)) {
    if (Object.keys(out).length >= 64) break;
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
    else if (typeof v === 'boolean') continue;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) numericFigures(v, key, out, depth + 1);
  }
  return out;
}
