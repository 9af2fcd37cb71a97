/**
 * Whether a verified HTTPS response vouches for the measured site's own content
 * (docs/verdict-rules.md, `http_verified_tls` and "Without a helper"). A valid certificate proves
 * who served a page, not that the page is the site's: a censor can redirect to its own blockpage
 * served over HTTPS with a valid certificate. A verified response at depth `d` vouches for the site
 * when:
 * - `d` is 0 (the input's host authenticated itself);
 * - its host has the input's registrable domain (the public suffix list's "eTLD+1", through
 *   tough-cookie's `getPublicSuffix`, loaded only when asked: `www.cnn.com` and `edition.cnn.com`
 *   share `cnn.com`; `a.github.io` and `b.github.io` do not), or is the input's host (IP literals);
 * - the control reached the same host at that hop (`controlSameHop`, our helper's per-hop result);
 * - or the redirect that led to it came over a response that itself vouched for the site (a
 *   redirect the site sent over its own verified TLS cannot be injected: `twitter.com` → `x.com`).
 * Pure apart from the lazily loaded list.
 */
import { createRequire } from 'node:module';
import type { Observations } from '../model/index.js';
import { isVerified, sameHost } from './hops.js';
import { urlHostname } from './web-observations.js';

type GetPublicSuffix = (domain: string, options: { allowSpecialUseDomain: boolean; ignoreError: boolean }) => string | undefined | null;
let registrable: GetPublicSuffix | null = null;

/** The registrable domain of `host` (lower case, no trailing dot), or the host itself when it has none (IP literal, a public suffix). */
function siteOf(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  registrable ??= (createRequire(import.meta.url)('tough-cookie') as { getPublicSuffix: GetPublicSuffix }).getPublicSuffix;
  try {
    // Special-use names (`.example`, `.test`, RFC 6761) are names like any other here.
    return registrable(h, { allowSpecialUseDomain: true, ignoreError: true }) ?? h;
  } catch {
    return h;
  }
}

/** True when `a` and `b` belong to the same site (the same host, hops.ts sameHost, or the same registrable domain). Pure. */
export function sameSite(a: string, b: string): boolean {
  return sameHost(a, b) || (a !== '' && b !== '' && siteOf(a) === siteOf(b));
}

/** The request at `depth` when it was HTTPS, answered, over a verified handshake. */
function verifiedRequest(obs: Observations, depth: number): Observations['requests'][number] | undefined {
  return obs.requests.find((r) => r.depth === depth && r.response !== null && r.request.url.startsWith('https:') &&
    obs.tls_handshakes.some((h) => h.transaction_id === r.transaction_id && isVerified(h)));
}

/**
 * vouchesForSite: whether a verified response at `depth` (host `host`) vouches for the site of
 * `inputUrl` (rules above); `controlSameHop`: the control reached `host` at that hop.
 */
export function vouchesForSite(obs: Observations, inputUrl: string, depth: number, host: string, controlSameHop: boolean): boolean {
  if (depth === 0 || controlSameHop || sameSite(host, urlHostname(inputUrl))) return true;
  const previous = verifiedRequest(obs, depth - 1);
  return previous !== undefined && vouchesForSite(obs, inputUrl, depth - 1, urlHostname(previous.request.url), false);
}
