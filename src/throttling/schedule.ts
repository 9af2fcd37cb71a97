/**
 * The interleaving of paired transfers: A,B,B,A,A,B,... with a random start, from a recorded seed
 * so that a run can be reproduced (docs/throttling.md "Schedule"). Pure.
 */

/** Default number of pairs (3.5: 5 pairs, minimum 3; 5 vs 5 is the smallest design where MWU reaches p <= 0.01). */
export const DEFAULT_PAIRS = 5;
/** Fewest pairs accepted. */
export const MIN_PAIRS = 3;

/**
 * RESET_CHECK: the escalation of a target whose only trigger is `reset_after_handshake`
 * (docs/throttling.md "Reset check"). It compares outcomes (reset or response), not rates, so the
 * pause that keeps rate samples apart would only add time: the same rounds, back to back. (The
 * rounds stay: rule 0's 80 % and rule 1's 3 usable transfers tolerate one odd transfer in 5, not
 * in 3.)
 */
export const RESET_CHECK = Object.freeze({ gapMs: 0 });

/** mulberry32: a small seeded PRNG (public domain, Tommy Ettinger); returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * pairOrder returns the arms of `2 × pairs` transfers: each pair is AB or BA, the first pair's
 * order drawn from `seed` and each next pair mirrored (A,B,B,A,A,B,...), so that neither arm
 * systematically goes first. Throws RangeError when pairs < 1.
 */
export function pairOrder(pairs: number, seed: number): ('target' | 'reference')[] {
  if (!Number.isInteger(pairs) || pairs < 1) throw new RangeError(`pairOrder: pairs must be a positive integer, got ${pairs}`);
  const targetFirst = seededRandom(seed)() < 0.5;
  const out: ('target' | 'reference')[] = [];
  for (let i = 0; i < pairs; i++) {
    const first = (i % 2 === 0) === targetFirst ? 'target' : 'reference';
    out.push(first, first === 'target' ? 'reference' : 'target');
  }
  return out;
}

/** An arm of the escalation. */
export type EscalationArm = 'target' | 'reference' | 'other_path';

/**
 * roundOrder returns the arms of `rounds` rounds: each round runs every arm in `arms` once, the
 * first round's order a rotation drawn from `seed` and each next round rotated by one, so that no
 * arm systematically goes first (the A,B,B,A interleaving of {@link pairOrder} for two arms is kept
 * when `arms` has two entries). Throws RangeError when rounds < 1 or `arms` is empty.
 */
export function roundOrder(rounds: number, seed: number, arms: readonly EscalationArm[]): EscalationArm[] {
  if (arms.length === 0) throw new RangeError('roundOrder: no arms');
  if (arms.length === 2) {
    const [a, b] = arms as [EscalationArm, EscalationArm];
    return pairOrder(rounds, seed).map((x) => (x === 'target' ? a : b));
  }
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`roundOrder: rounds must be a positive integer, got ${rounds}`);
  const start = Math.floor(seededRandom(seed)() * arms.length);
  const out: EscalationArm[] = [];
  for (let i = 0; i < rounds; i++) for (let k = 0; k < arms.length; k++) out.push(arms[(start + i + k) % arms.length] as EscalationArm);
  return out;
}
