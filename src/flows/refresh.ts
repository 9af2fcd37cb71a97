/**
 * Refresh redirects: a `Refresh` response header or an HTML `<meta http-equiv="refresh">` that
 * names a URL is a redirect for a browser, and blockpages use it (a 200 page that sends the visitor
 * to the censor's site). The flow follows them as it follows Location redirects, with the same
 * limit (docs/measurement-model.md, "Redirects and cookies").
 *
 * Parsing follows the HTML standard's "shared declarative refresh steps"
 * (https://html.spec.whatwg.org/multipage/semantics.html#shared-declarative-refresh-steps): a
 * delay (digits and dots), then `;` or `,`, then optionally `url=`, then the URL, optionally quoted.
 */

import { metaRefreshContent, parseRefresh, refreshOf, refreshUrlText } from '../model/refresh.js';

/** refreshTarget: the URL text of a refresh declaration's content (model/refresh.ts), or null when it names none. */
export const refreshTarget = refreshUrlText;
export { metaRefreshContent };

/** Where a followed redirect came from. */
export type RedirectKind = 'location' | 'refresh_header' | 'meta_refresh';

/**
 * refreshDelay returns the delay of a refresh declaration's content in whole seconds (`"5; url=/x"`
 * → 5, `"10.5"` → 10: the HTML standard reads the integer part), 0 when it declares none. Pure.
 */
export function refreshDelay(content: string): number {
  const r = parseRefresh(content);
  return r.kind === 'none' ? 0 : r.delaySeconds;
}

/** A refresh a response declares: the URL text it names (null: a reload of the same page), its delay (s), and where it is. */
export interface RefreshDeclaration {
  target: string | null;
  delaySeconds: number;
  kind: Exclude<RedirectKind, 'location'>;
}

/** The `Refresh` header's value, or null. */
function refreshHeader(headers: [string, string][]): string | null {
  return headers.find(([k]) => k.toLowerCase() === 'refresh')?.[1] ?? null;
}

/**
 * refreshDeclaration: the refresh a response declares, URL or not, as a browser acts on it
 * (model/refresh.ts `refreshOf`): the `Refresh` header when it declares one (a meta refresh is
 * then ignored), else the first valid meta refresh of an HTML body (`body` as text, or null when
 * binary). Null when there is none. Pure.
 */
export function refreshDeclaration(headers: [string, string][], contentType: string | null, body: string | null): RefreshDeclaration | null {
  return refreshOf(refreshHeader(headers), contentType, body);
}

/**
 * refreshRedirect: the URL text a response asks the browser to go to by refresh, and where it came
 * from ({@link refreshDeclaration}). Null when there is none, or when it names no URL (a reload). Pure.
 */
export function refreshRedirect(headers: [string, string][], contentType: string | null, body: string | null): { target: string; kind: RedirectKind } | null {
  const d = refreshDeclaration(headers, contentType, body);
  return d === null || d.target === null ? null : { target: d.target, kind: d.kind };
}
