/**
 * HTTP layers of our verdict, for one hop: the round trip's failure (`http-failure`), then the
 * response: blockpage fingerprints, redirects compared with the control's same hop, and the final
 * page compared with the control's (`http-diff`). Rules: docs/verdict-rules.md ("HTTP"). Pure.
 */
import type { HttpRequestObservation, VerdictEvidence } from '../model/index.js';
import { dnsDiverged, type VerdictContext } from './context.js';
import { controlCite, ev, found, NOTHING, type Finding } from './evidence.js';
import { describeMatch, matchHttpResponse, type FingerprintMatch } from './fingerprint.js';
import { hopRequest, isVerified, type ControlHttp, type Hop } from './hops.js';
import { compareHttpResponses, isHttpDiff, type HttpDiffMetrics } from './http-diff.js';
import { analyzeSlowServer, analyzeThrottling } from './layer-throttling.js';
import { redirectOf } from './response.js';
import { vouchesForSite } from './site-vouching.js';
import { isResolverAnswer } from './layer-dns.js';

/** analyzeHttpFailure: the finding of a failed round trip at this hop (nothing when it did not fail). */
export function analyzeHttpFailure(ctx: VerdictContext, hop: Hop): Finding {
  const request = hopRequest(ctx.obs, hop);
  if (request === undefined || request.failure === null) return NOTHING;
  const throttled = analyzeThrottling(ctx, hop.depth);
  if (throttled !== null) return found([throttled], true, false);
  const slow = request.response !== null ? analyzeSlowServer(ctx, hop.depth) : null;
  if (slow !== null) return found([slow], true, true);
  const ctl = hop.control.http ?? controlFinal(ctx);
  const cites = [...ctx.cites.of(request), ...(ctl ? [controlCite(ctl.key)] : [])];
  const detail = { url: request.request.url, failure: request.failure, control_failure: ctl?.failure ?? null };
  const figures: Record<string, number> = ctl && ctl.failure === null ? { control_status: ctl.status_code, control_body_bytes: ctl.body_length } : {};
  // An HTTP client that resolved the hop's name itself (old vintages record the lookup after a
  // redirect only as the request's failure) failed at DNS: that is the DNS layer's finding, judged
  // as a lookup with the control's DNS for this hop if any, else by whether the control fetched
  // the page through it (layer-dns.ts dnsFailure; docs/verdict-rules.md).
  if (hop.queries.length === 0 && isResolverAnswer(request.failure)) {
    const dnsCtl = hop.control.dns;
    const dnsDetail = { host: hop.host, failure: request.failure, control_failure: dnsCtl?.failure ?? ctl?.failure ?? null, control_addrs: dnsCtl?.addrs ?? [] };
    if (dnsCtl !== null && dnsCtl.failure === null && dnsCtl.addrs.length > 0) return found([ev('dns', 'dns_lookup_failed', hop.depth, 'diverged', { cites, detail: dnsDetail })], true, false);
    if (dnsCtl === null && ctl !== null && ctl.failure === null) return found([ev('dns', 'dns_lookup_failed', hop.depth, 'diverged', { cites, detail: { ...dnsDetail, control: 'fetched_through_hop' } })], true, false);
  }
  if (ctl === null) return found([ev('http-failure', 'http_failed_no_control', hop.depth, 'inconclusive', { cites, detail })], true, false);
  if (ctl.failure !== null) return found([ev('http-failure', 'http_both_failed', hop.depth, dnsDiverged(ctx) ? 'note' : 'down', { cites, detail })], true, false);
  return found([ev('http-failure', 'http_request_failed', hop.depth, 'diverged', { cites, figures, detail })], true, false);
}

function controlFinal(ctx: VerdictContext): ControlHttp | null {
  const r = ctx.resp?.http_request;
  return r ? { failure: r.failure, status_code: r.status_code, body_length: r.body_length, header_names: Object.keys(r.headers), title: r.title, redirected: false, key: 'http_request' } : null;
}

/** True when a probe response equals the control's (same status and title, OONI-matching length): no blockpage. */
function sameAsControl(r: NonNullable<HttpRequestObservation['response']>, ctl: ControlHttp | null): boolean {
  if (ctl === null || ctl.failure !== null || ctl.status_code !== r.code || ctl.title.trim() !== r.title.trim()) return false;
  const diff = compareHttpResponses({ status_code: r.code, body_length: r.body_length, body_is_truncated: r.body_is_truncated, header_names: [], title: r.title },
    { status_code: ctl.status_code, body_length: ctl.body_length, body_is_truncated: false, header_names: [], title: ctl.title });
  return diff.body_length_match === true;
}

/** The fingerprint evidence of a response: a strong blockpage (stop), a weak one or a false positive (note). */
function fingerprintFinding(ctx: VerdictContext, hop: Hop, request: HttpRequestObservation, hit: FingerprintMatch): VerdictEvidence {
  const detail = { fingerprint: hit.fingerprint.id, where: hit.where, description: describeMatch(hit), url: request.request.url, address: request.address };
  const cites = ctx.cites.of(request);
  if (hit.fingerprint.kind === 'false_positive') return ev('http-diff', 'http_false_positive_fingerprint', hop.depth, 'note', { cites, detail });
  if (hit.weak) return ev('http-diff', 'http_weak_fingerprint', hop.depth, 'note', { cites, detail });
  // A blockpage served by the diverging DNS answer: the DNS layer is the first to diverge.
  if (dnsDiverged(ctx)) return ev('dns', 'dns_answer_served_blockpage', hop.depth, 'confirmed', { cites, detail });
  return ev('http-diff', 'http_blockpage', hop.depth, 'confirmed', { cites, detail });
}

/** analyzeHttpResponse: fingerprints, redirects and the final page of one hop. */
export function analyzeHttpResponse(ctx: VerdictContext, hop: Hop): Finding {
  const request = hopRequest(ctx.obs, hop);
  const response = request?.response ?? null;
  if (request === undefined || response === null) return NOTHING;
  const verified = request.request.url.startsWith('https:') && ctx.obs.tls_handshakes.some((h) => h.transaction_id === request.transaction_id && isVerified(h)) && vouchesForSite(ctx.obs, ctx.input.url, hop.depth, hop.host, hop.control.perHop);
  const ctl = hop.control.http;
  const evidence: VerdictEvidence[] = [];
  // Fingerprints (not on a verified HTTPS response: that is the site's own content).
  const hit = ctx.fps !== null && !verified ? matchHttpResponse(ctx.fps, request) : null;
  const redirect = redirectOf(request);
  // A cookie reload the flow followed from this page: the next hop is what the visitor sees.
  const reload = redirect === null && !hop.last ? followedReload(ctx, hop) : null;
  if (hit !== null && hit.fingerprint.kind === 'blockpage' && !hit.weak && sameAsControl(response, ctl)) {
    evidence.push(ev('http-diff', 'http_fingerprint_same_as_control', hop.depth, 'note', { cites: ctx.cites.of(request), detail: { fingerprint: hit.fingerprint.id, url: request.request.url } }));
  } else if (hit !== null) {
    const e = fingerprintFinding(ctx, hop, request, hit);
    evidence.push(e);
    if (e.effect === 'confirmed') return found(evidence, true, false);
    // A known harmless page (a CDN challenge) that the visitor is reloaded past vouches for nothing after it.
    if (hit.fingerprint.kind === 'false_positive' && reload === null) ctx.falsePositive ??= hit;
  }
  // An interstitial reloaded with its cookie is no redirect to compare with the control's hop.
  if (reload !== null) return found(evidence, false);
  if (redirect !== null && redirect.kind === 'location' && hop.last && request.failure === null && redirect.target !== '' && !hop.control.perHop) {
    // Every probe follows a Location (or says why it stopped): a chain that ends on one without a
    // failure lost its later requests (an old measurement with a null entry), and without the
    // control's same hop to compare with, it concludes nothing.
    return found([...evidence, ev('http-diff', 'http_chain_incomplete', hop.depth, 'inconclusive', { cites: ctx.cites.of(request), detail: { url: request.request.url, target: redirect.target } })], true, null);
  }
  if (redirect !== null) {
    const unexpected = unexpectedRedirect(ctx, hop, request, redirect.kind, redirect.target);
    if (unexpected !== null) return found([...evidence, unexpected], true, false);
    // A 3xx ends the hop (the next hop says more; an unfollowed one concludes nothing).
    if (!hop.last || redirect.kind === 'location') return found(evidence, false);
  }
  return finalPage(ctx, hop, request, verified, evidence);
}

/**
 * The refresh the flow recorded from this hop (`x_redirects`) when the response itself is no
 * redirect to another URL: a refresh of the same URL that set a cookie (a cookie interstitial),
 * which the flow follows once, as a browser does (docs/measurement-model.md, "Redirects and
 * cookies"). The chain went on, so this response is not the final page, and not a redirect the
 * control should have got at this hop either. Null when none was recorded.
 */
function followedReload(ctx: VerdictContext, hop: Hop): { kind: string; target: string } | null {
  const r = (ctx.obs.x_redirects ?? []).find((x) => x.depth === hop.depth && x.kind !== 'location');
  return r === undefined ? null : { kind: r.kind, target: r.to };
}

/**
 * A redirect the control did not get at the same hop is a divergence (`http-diff`): when the
 * helper sent a per-hop result for this depth, or when the chain ends on this redirect and the
 * control's final page differs from it.
 */
function unexpectedRedirect(ctx: VerdictContext, hop: Hop, request: HttpRequestObservation, kind: string, target: string): VerdictEvidence | null {
  const ctl = hop.control.http;
  if (ctl === null || ctl.failure !== null || ctl.redirected) return null;
  const r = request.response;
  if (r === null) return null;
  // The control got the same page at this hop (it did not follow a refresh): no divergence.
  if (sameAsControl(r, ctl) || (!hop.control.perHop && !hop.last)) return null;
  return ev('http-diff', 'http_unexpected_redirect', hop.depth, 'diverged', {
    cites: [...ctx.cites.of(request), controlCite(ctl.key)],
    figures: { status: r.code, control_status: ctl.status_code },
    detail: { url: request.request.url, redirect: kind, target, control_title: ctl.title },
  });
}

/** The final page: throttling, verified HTTPS, 5xx for both, then the comparison with the control's page. */
function finalPage(ctx: VerdictContext, hop: Hop, request: HttpRequestObservation, verified: boolean, evidence: VerdictEvidence[]): Finding {
  const r = request.response as NonNullable<HttpRequestObservation['response']>;
  const throttled = analyzeThrottling(ctx, hop.depth);
  if (throttled !== null) evidence.push(throttled);
  const ctl = hop.control.http ?? (hop.last ? controlFinal(ctx) : null);
  const cites = [...ctx.cites.of(request), ...(ctl ? [controlCite(ctl.key)] : [])];
  const figures: Record<string, number> = { status: r.code, body_bytes: r.body_length };
  const detail = { url: request.request.url, address: request.address, title: r.title };
  if (ctl !== null && ctl.failure === null) Object.assign(figures, { control_status: ctl.status_code, control_body_bytes: ctl.body_length });
  const add = (layer: VerdictEvidence['layer'], kind: string, effect: VerdictEvidence['effect'], accessible: boolean | null, more: Record<string, string | boolean | null> = {}, figs: Record<string, number> = {}): Finding =>
    found([...evidence, ev(layer, kind, hop.depth, effect, { cites, figures: { ...figures, ...figs }, detail: { ...detail, ...more } })], true, accessible);
  // A 5xx that probe and control both get: the site is failing, not censored.
  if (r.code >= 500 && ctl !== null && ctl.failure === null && ctl.status_code >= 500) return add('http-diff', 'http_server_error_both', dnsDiverged(ctx) ? 'note' : 'down', false);
  if (verified) return add('http-diff', 'http_verified_tls', 'genuine', true);
  if (ctl === null) return add('http-diff', 'http_no_control', 'inconclusive', dnsDiverged(ctx) ? false : null);
  if (ctl.failure !== null) return add('http-diff', 'http_control_failed', 'inconclusive', dnsDiverged(ctx) ? false : null, { control_failure: ctl.failure });
  const diff = compareHttpResponses({ status_code: r.code, body_length: r.body_length, body_is_truncated: r.body_is_truncated, header_names: Object.keys(r.headers), title: r.title },
    { ...ctl, body_is_truncated: false });
  const m = diffDetail(diff, ctl);
  const figs = { body_proportion: diff.body_proportion };
  if (ourHttpDiff(diff) && ctx.falsePositive !== null && !dnsDiverged(ctx)) {
    return add('http-diff', 'http_false_positive', 'genuine', true, { ...m, fingerprint: ctx.falsePositive.fingerprint.id, description: describeMatch(ctx.falsePositive) }, figs);
  }
  if (ourHttpDiff(diff)) return add('http-diff', 'http_diff', 'diverged', false, { ...m, ooni_diff: isHttpDiff(diff) }, figs);
  if (dnsDiverged(ctx)) {
    // Fetched from an address the control resolved too (the answer diverged by a bogon or a
    // forged extra address beside the genuine one), or from the diverging answer itself.
    const ip = request.address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const genuineAddress = ip !== '' && (hop.control.dns?.addrs ?? []).includes(ip);
    return add('dns', 'dns_answer_served_genuine_page', 'note', true, { ...m, control_resolved: genuineAddress }, figs);
  }
  return add('http-diff', 'http_matches_control', 'genuine', true, m, figs);
}

/**
 * Our http-diff: OONI's rule (`isHttpDiff`), except that a page whose body length AND title both
 * disagree with the control's is different even when OONI's loose header rule holds (docs/verdict-rules.md).
 */
export function ourHttpDiff(d: HttpDiffMetrics): boolean {
  return isHttpDiff(d) || (d.body_length_match === false && d.title_match === false);
}

function diffDetail(d: HttpDiffMetrics, ctl: ControlHttp): Record<string, string | boolean | null> {
  return {
    control_title: ctl.title,
    status_code_match: d.status_code_match,
    body_length_match: d.body_length_match,
    headers_match: d.headers_match,
    title_match: d.title_match,
  };
}
