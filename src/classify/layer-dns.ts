/**
 * DNS layer of our verdict, for one hop: the probe's primary lookups against the control's
 * lookup of the same name (a helper's per-hop result, or the DoH reference without a helper).
 * Rules and their reasons: docs/verdict-rules.md ("DNS"). Pure.
 */
import { isBogon } from './bogon.js';
import { unwrapNat64 } from './asn.js';
import type { VerdictContext } from './context.js';
import { compareAnswers } from './dns-consistency.js';
import { controlCite, ev, found, NOTHING, type Finding } from './evidence.js';
import { matchDnsAnswers } from './fingerprint.js';
import { hasTag, isVerified, sameHost, type Hop } from './hops.js';
import { parseIp } from '../model/ip.js';
import { SNI_PROBE_TAG, type DnsQueryObservation } from '../model/index.js';
import { joinHostPort } from './web-observations.js';

/**
 * Failures that are a resolver's answer about the name (NXDOMAIN, no data, SERVFAIL, REFUSED; the
 * helper's legacy `dns_name_error` / `dns_server_failure`), as opposed to not reaching a resolver.
 */
const RESOLVER_ANSWERS: ReadonlySet<string> = new Set(['dns_nxdomain_error', 'dns_no_answer', 'dns_servfail_error', 'dns_refused_error', 'dns_name_error', 'dns_server_failure']);

/** True when a DNS failure is the resolver's answer about the name. */
export function isResolverAnswer(failure: string): boolean {
  return RESOLVER_ANSWERS.has(failure);
}

/** The failure that explains an empty answer: the first failure that is not AAAA `dns_no_answer`. */
function lookupFailure(hop: Hop): string | null {
  const failed = hop.queries.filter((q) => q.failure !== null);
  const meaningful = failed.find((q) => !(q.query_type === 'AAAA' && q.failure === 'dns_no_answer'));
  return (meaningful ?? failed[0])?.failure ?? null;
}

/** Engines whose queries carry the name in the clear, where an on-path censor can drop them by name (DoH hides it). */
const NAME_ON_THE_WIRE: ReadonlySet<string> = new Set(['udp', 'tcp']);

/**
 * resolverReached: the probe's own resolver behind the `failed` lookups (a UDP or TCP one) answered
 * another query during the run (any hop's A/AAAA that failed otherwise or succeeded, an HTTPS
 * record, or the run's whoami lookup): it was reachable. False for DoH, whose queries a censor
 * cannot tell apart by name (a later transport failure is about the resolver).
 */
function resolverReached(ctx: VerdictContext, failed: readonly DnsQueryObservation[]): boolean {
  if (!failed.every((f) => NAME_ON_THE_WIRE.has(f.engine))) return false;
  const answered = (f: string | null): boolean => f === null || isResolverAnswer(f);
  const same = (engine: string, address: string | null): boolean => failed.some((f) => f.engine === engine && f.resolver_address === address);
  if (ctx.obs.queries.some((q) => !failed.includes(q) && answered(q.failure) && same(q.engine, q.resolver_address))) return true;
  if ((ctx.obs.x_https_records ?? []).some((r) => answered(r.failure) && same(r.engine, r.resolver_address))) return true;
  const id = ctx.input.resolverIdentity;
  if (id?.kind !== 'udp' || id.egress.failure !== null) return false;
  return failed.some((f) => f.engine === 'udp' && id.configured.some((ip) => f.resolver_address === ip || f.resolver_address.startsWith(ip.includes(':') ? `[${ip}]:` : `${ip}:`)));
}

/** analyzeDns: the DNS finding of one hop (nothing when the hop made no lookup). */
export function analyzeDns(ctx: VerdictContext, hop: Hop): Finding {
  if (hop.queries.length === 0) return NOTHING;
  if (hop.addrs.length === 0) return dnsFailure(ctx, hop);
  return dnsAnswers(ctx, hop);
}

function dnsFailure(ctx: VerdictContext, hop: Hop): Finding {
  const failure = lookupFailure(hop);
  if (failure === null) return NOTHING;
  const cites = ctx.cites.of(...hop.queries);
  const ctl = hop.control.dns;
  const detail = { host: hop.host, failure, control_failure: ctl?.failure ?? null, control_addrs: ctl?.addrs ?? [] };
  const failed = hop.queries.filter((q) => q.failure === failure);
  const engines = failed.map((q) => q.engine);
  // A DoH or UDP resolver that could not be reached says the resolver is blocked, not the name;
  // unless it is a UDP/TCP resolver that answered something else during the run: it was reachable,
  // and the name is visible on the path, so its silence for this name is about the name.
  if (!isResolverAnswer(failure) && engines.length > 0 && engines.every((e) => e !== 'getaddrinfo') && !resolverReached(ctx, failed)) {
    return found([ev('dns', 'dns_resolver_unreachable', hop.depth, 'inconclusive', { cites, detail: { ...detail, engine: engines[0] ?? null } })], true);
  }
  if (ctl === null) {
    if (ctx.controlFetched === true) return found([ev('dns', 'dns_lookup_failed', hop.depth, 'diverged', { cites, detail: { ...detail, control: 'fetched_through_hop' } })], true, false);
    return found([ev('dns', 'dns_lookup_failed_no_control', hop.depth, 'inconclusive', { cites, detail })], true, false);
  }
  const ctlCites = [...cites, controlCite(hop.control.perHop ? `hops[${hop.depth}].dns` : 'dns')];
  if (ctl.failure !== null || ctl.addrs.length === 0) {
    if (!isResolverAnswer(failure) || (ctl.failure !== null && !isResolverAnswer(ctl.failure))) {
      const who = !isResolverAnswer(failure) ? (ctl.failure !== null && !isResolverAnswer(ctl.failure) ? 'neither' : 'probe') : 'control';
      return found([ev('dns', 'dns_resolver_no_answer', hop.depth, 'inconclusive', { cites: ctlCites, detail: { ...detail, unanswered: who } })], true);
    }
    return found([ev('dns', 'dns_both_failed', hop.depth, 'down', { cites: ctlCites, detail })], true, false);
  }
  return found([ev('dns', 'dns_lookup_failed', hop.depth, 'diverged', { cites: ctlCites, detail })], true, false);
}

function dnsAnswers(ctx: VerdictContext, hop: Hop): Finding {
  const ctl = hop.control.dns;
  if (ctl === null) return NOTHING;
  const cites = [...ctx.cites.of(...hop.queries), controlCite(hop.control.perHop ? `hops[${hop.depth}].dns` : ctx.resp === null ? 'dns_reference' : 'dns')];
  // NAT64 (64:ff9b::/96) answers are compared as the IPv4 address they embed.
  const plain = hop.addrs.map(unwrapNat64);
  const detail = { host: hop.host, addrs: hop.addrs, control_addrs: ctl.addrs, control_failure: ctl.failure };
  const figures = (list: string[]): Record<string, number> => asnFigures(ctx, list);
  const hit = ctx.fps === null ? null : matchDnsAnswers(ctx.fps, hop.queries);
  if (hit !== null && hit.fingerprint.kind === 'blockpage' && !hit.weak) {
    return found([ev('dns', 'dns_blockpage_address', hop.depth, 'confirmed', { cites, figures: figures(plain), detail: { ...detail, fingerprint: hit.fingerprint.id, where: hit.where } })], false);
  }
  if (ctl.failure !== null && ctl.failure !== 'dns_name_error' && ctl.failure !== 'dns_nxdomain_error') {
    return found([ev('dns', 'dns_control_failed', hop.depth, 'note', { cites, detail })], false);
  }
  // The control found no address (an empty or null list, no failure): our answer is still proven
  // genuine by a verified handshake for the name there.
  if (ctl.addrs.length === 0) return tlsProof(ctx, hop, plain, { cites, detail, figures: {} }) ?? found([ev('dns', 'dns_control_no_address', hop.depth, 'diverged', { cites, detail })], false);
  const bogons = plain.filter((a) => isBogon(a));
  const controlBogon = ctl.addrs.every((a) => isBogon(a));
  // A bogon is evidence when our resolver added it: a private address the site itself publishes
  // (the control's answer has it too) is the site's misconfiguration, not tampering
  // (docs/verdict-rules.md, dns_bogon_answer). A probe answer of nothing but bogons still is.
  const controlSet = new Set(ctl.addrs.map(ipKey));
  const added = bogons.filter((a) => !controlSet.has(ipKey(a)));
  const all = bogons.length === plain.length;
  if (bogons.length > 0 && !controlBogon && (added.length > 0 || all)) {
    const shown = added.length > 0 ? added : bogons;
    return found([ev('dns', 'dns_bogon_answer', hop.depth, 'diverged', { cites, figures: { bogons: shown.length, addresses: plain.length }, detail: { ...detail, bogons: shown, all_bogon: all } })], false);
  }
  if (bogons.length === plain.length && controlBogon && compareAnswers(plain, ctl.addrs, ctx.asn).shared.length > 0) {
    return found([ev('dns', 'dns_both_bogon', hop.depth, 'down', { cites, detail })], true, false);
  }
  // The site's own bogons (shared with the control, set aside above) say nothing either way: the
  // public addresses are compared (a resolver that keeps the site's private address but swaps its
  // public one still diverges).
  const mine = bogons.length > 0 && !controlBogon ? plain.filter((a) => !isBogon(a)) : plain;
  const theirs = bogons.length > 0 && !controlBogon ? ctl.addrs.filter((a) => !isBogon(a)) : ctl.addrs;
  const cmp = compareAnswers(mine, theirs, ctx.asn);
  if (cmp.shared.length > 0) return NOTHING;
  return differentAnswers(ctx, hop, mine, cmp.commonAsns, { cites, detail, figures: figures([...mine, ...theirs]) });
}

/** An address as one spelling (IPv6 compressed, lower case), so that `FD00::1` and `fd00:0:0::1` compare equal; anything else as is. */
function ipKey(a: string): string {
  return parseIp(a)?.toString() ?? a;
}

function asnFigures(ctx: VerdictContext, list: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of list) {
    const n = ctx.asn(a);
    if (n > 0) out[`asn.${a}`] = n;
  }
  return out;
}

type Parts = { cites: ReturnType<VerdictContext['cites']['of']>; detail: Record<string, string | string[] | boolean | null>; figures: Record<string, number> };

/** Answers with no common address: same network, TLS proof (ours or the helper's), or a divergence. */
function differentAnswers(ctx: VerdictContext, hop: Hop, plain: string[], commonAsns: number[], p: Parts): Finding {
  const asn = commonAsns[0];
  if (asn !== undefined) return found([ev('dns', 'dns_same_network', hop.depth, 'note', { ...p, figures: { ...p.figures, common_asn: asn } })], false);
  // A verified handshake for the name at our answer (ours or the helper's) proves it genuine.
  return tlsProof(ctx, hop, plain, p) ?? found([ev('dns', 'dns_other_network', hop.depth, 'diverged', p)], false);
}

/**
 * A verified TLS handshake for the hop's name at one of the probe's answers proves that answer
 * genuine, whatever the control resolved: our own (the fetch's on https; OONI LTE also shakes
 * hands on 443 for http:// inputs, `tcptls_experiment`) or the helper's (ip_info flag 8 or its
 * own check, depth 0, http:// targets too). The harmless-SNI probe never counts. Null without one.
 */
function tlsProof(ctx: VerdictContext, hop: Hop, plain: string[], p: Parts): Finding | null {
  const ours = ctx.obs.tls_handshakes.find((h) => h.depth === hop.depth && isVerified(h) && sameHost(h.server_name, hop.host) &&
    !hasTag(h.tags, SNI_PROBE_TAG) && hop.addrs.some((a) => h.address === joinHostPort(a, h.address.slice(h.address.lastIndexOf(':') + 1))));
  if (ours !== undefined) {
    return found([ev('dns', 'dns_tls_verified', hop.depth, 'genuine', { ...p, cites: [...p.cites, ...ctx.cites.of(ours)], detail: { ...p.detail, verified_at: ours.address } })], false);
  }
  const helper = hop.depth === 0 ? plain.find((a) => ((ctx.resp?.ip_info?.[a]?.flags ?? 0) & 8) !== 0 || helperHandshake(ctx, a, hop.host)) : undefined;
  if (helper !== undefined) {
    return found([ev('dns', 'dns_helper_tls_verified', hop.depth, 'genuine', { ...p, cites: [...p.cites, controlCite(`ip_info.${helper}`)], detail: { ...p.detail, verified_at: helper } })], false);
  }
  return null;
}

/** True when the helper's own TLS check of `ip` (top-level `tls_handshake`, any port) verified `host`. */
function helperHandshake(ctx: VerdictContext, ip: string, host: string): boolean {
  for (const [addr, r] of Object.entries(ctx.resp?.tls_handshake ?? {})) {
    if (r.status && sameHost(r.server_name, host) && addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, '') === ip) return true;
  }
  return false;
}
