/**
 * Our verdict without a helper: a strong blockpage fingerprint (DNS answer or page) confirms even
 * without a control (ooni/explorer#498); the DNS answer is compared with the DoH reference
 * (`control.dns_reference`) exactly as with a helper's DNS result: addresses, ASNs, bogons and
 * TLS proof (`layer-dns.ts`); a verified HTTPS success is genuine; anything else is inconclusive
 * (an offline machine never yields "blocked"). docs/verdict-rules.md ("Without a helper"). Pure.
 */
import { SNI_PROBE_TAG, type VerdictEvidence } from '../model/index.js';
import { combine, type Decision } from './combine.js';
import type { VerdictContext } from './context.js';
import { ev } from './evidence.js';
import { describeMatch, matchDnsAnswers, matchHttpResponse } from './fingerprint.js';
import { buildHop, hasTag, isVerified, type HopControl } from './hops.js';
import { analyzeDns } from './layer-dns.js';
import { sniProbe } from './layer-tls.js';
import { isFinalStatus } from './response.js';
import { vouchesForSite } from './site-vouching.js';
import { urlHostname } from './web-observations.js';

/** Fingerprint evidence without a control: a strong blockpage confirms; false positives are noted. */
function fingerprintsWithoutControl(ctx: VerdictContext): { evidence: VerdictEvidence[]; confirmed: boolean } {
  const out: VerdictEvidence[] = [];
  if (ctx.fps === null) return { evidence: out, confirmed: false };
  const dnsHit = matchDnsAnswers(ctx.fps, ctx.obs.queries.filter((q) => q.engine !== 'doh'));
  if (dnsHit !== null && dnsHit.fingerprint.kind === 'blockpage' && !dnsHit.weak) {
    const addrs = ctx.obs.queries.flatMap((q) => q.answers.map((a) => a.ipv4 ?? a.ipv6 ?? '')).filter((a) => a !== '');
    out.push(ev('dns', 'dns_blockpage_address', 0, 'confirmed', { cites: ctx.cites.of(...ctx.obs.queries), detail: { host: dnsHit.where.replace(/^.* for /, ''), addrs, fingerprint: dnsHit.fingerprint.id, where: dnsHit.where } }));
    return { evidence: out, confirmed: true };
  }
  for (const r of ctx.obs.requests) {
    const hit = matchHttpResponse(ctx.fps, r);
    if (hit === null) continue;
    const detail = { fingerprint: hit.fingerprint.id, where: hit.where, description: describeMatch(hit), url: r.request.url };
    if (hit.fingerprint.kind === 'blockpage' && !hit.weak) {
      out.push(ev('http-diff', 'http_blockpage', r.depth, 'confirmed', { cites: ctx.cites.of(r), detail }));
      return { evidence: out, confirmed: true };
    }
    if (hit.fingerprint.kind === 'false_positive') out.push(ev('http-diff', 'http_false_positive_fingerprint', r.depth, 'note', { cites: ctx.cites.of(r), detail }));
  }
  return { evidence: out, confirmed: false };
}

/** The DNS evidence against the DoH reference (depth 0), or [] when there is none to compare with. */
function dnsAgainstReference(ctx: VerdictContext): VerdictEvidence[] {
  const ref = ctx.input.control.dns_reference;
  if (!ref || ref.failure !== null || ref.addrs.length === 0) return [];
  const control: HopControl = { dns: { failure: null, addrs: ref.addrs }, tcp: {}, tls: {}, http: null, perHop: false };
  const hop = buildHop(ctx.obs, ctx.input.url, 0, false, control);
  return analyzeDns(ctx, hop).evidence.map((e) => ({
    ...e,
    cites: e.cites.map((c) => (c.list === 'control' ? { list: 'control' as const, key: 'dns_reference' } : c)),
    detail: { ...e.detail, reference: ref.resolver_address },
  }));
}

/** verdictWithoutHelper: the evidence and the decision when no helper answered. */
export function verdictWithoutHelper(ctx: VerdictContext): { evidence: VerdictEvidence[]; decision: Decision } {
  const obs = ctx.obs;
  const evidence: VerdictEvidence[] = [ev('control', 'control_no_helper', 0, 'note', { detail: { failure: ctx.input.control.failure } })];
  const fp = fingerprintsWithoutControl(ctx);
  evidence.push(...fp.evidence);
  if (fp.confirmed) return { evidence, decision: combine(evidence, false) };
  const failed = obs.tls_handshakes.find((h) => !hasTag(h.tags, SNI_PROBE_TAG) && h.failure !== null);
  if (failed !== undefined) evidence.push(...sniProbe(ctx, failed));
  const dns = dnsAgainstReference(ctx);
  evidence.push(...dns);
  const decided = dns.find((e) => e.effect === 'diverged' || e.effect === 'confirmed' || e.effect === 'inconclusive' || e.effect === 'down');
  if (decided !== undefined) return { evidence, decision: combine(evidence, decided.effect === 'inconclusive' ? null : false) };
  // A verified page on another host than the site's (a blockpage served over HTTPS) vouches for nothing (site-vouching.ts).
  const verifiedFinal = obs.requests.find((r) => r.failure === null && r.response !== null && isFinalStatus(r.response.code) && r.request.url.startsWith('https:') &&
    obs.tls_handshakes.some((h) => h.transaction_id === r.transaction_id && isVerified(h)) && vouchesForSite(obs, ctx.input.url, r.depth, urlHostname(r.request.url), false));
  if (verifiedFinal?.response) {
    evidence.push(ev('http-diff', 'verified_https_genuine', verifiedFinal.depth, 'genuine', {
      cites: ctx.cites.of(verifiedFinal), figures: { status: verifiedFinal.response.code, body_bytes: verifiedFinal.response.body_length }, detail: { url: verifiedFinal.request.url },
    }));
    return { evidence, decision: combine(evidence, true) };
  }
  evidence.push(ev('control', 'control_nothing_to_compare', 0, 'inconclusive'));
  return { evidence, decision: combine(evidence, null) };
}
