/**
 * The ONE comparison of a probe's DNS answer with the control's, used by the OONI keys
 * (`web-analysis.ts`, OONI `dnsdiff.go`: consistent when the answers share an address or a
 * non-zero ASN) and by our DNS layer (`layer-dns.ts`, which adds the proofs of
 * docs/verdict-rules.md: NAT64 unwrapping, bogons, TLS verification). Pure.
 */
import type { AsnLookup } from './types.js';

/** The outcome: addresses in both answers, and the non-zero ASNs of the probe's answer found in the control's. */
export interface AnswerComparison {
  shared: string[];
  /** Empty when addresses are shared (ASNs are looked up only when needed: the database is lazy). */
  commonAsns: number[];
}

/**
 * compareAnswers compares two address lists (as given: no NAT64 unwrapping here) by address,
 * then by ASN (`asn` returns 0 for unknown). Pure.
 */
export function compareAnswers(probe: Iterable<string>, control: Iterable<string>, asn: AsnLookup): AnswerComparison {
  const ctl = new Set(control);
  const shared = [...new Set(probe)].filter((a) => ctl.has(a));
  if (shared.length > 0) return { shared, commonAsns: [] };
  const probeAsns = new Set<number>();
  for (const ip of probe) {
    const n = asn(ip);
    if (n > 0) probeAsns.add(n);
  }
  const common = new Set<number>();
  for (const ip of ctl) {
    const n = asn(ip);
    if (probeAsns.has(n)) common.add(n);
  }
  return { shared, commonAsns: [...common] };
}

/** True when the comparison makes the answers consistent (OONI's rule). */
export function answersConsistent(c: AnswerComparison): boolean {
  return c.shared.length > 0 || c.commonAsns.length > 0;
}
