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

import { metaRefreshContent, refreshUrlText } from '../model/refresh.js';

/** refreshTarget: the URL text of a refresh declaration's content (model/refresh.ts), or null when it names none. */
export const refreshTarget = refreshUrlText;
export { metaRefreshContent };

/** Where a followed redirect came from. */
export type RedirectKind = 'location' | 'refresh_header' | 'meta_refresh';

/**
 * refreshDelay returns the delay of a refresh declaration's content in whole seconds (`"5; url=/x"`
 * → 5, `"10.5"` → 10), 0 when it starts without one. Pure.
 */
export function refreshDelay(content: string): number {
  // The HTML standard reads the digits before any '.' and ignores the fraction ("10.5" waits 10 s).
  const m = /^[\t\n\f\r ]*([0-9]*)/.exec(content);
  const n = Number.parseInt(m?.[1] ?? '', 10);
  return Number.isFinite(n) ? n : 0;
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

/** The content of the body's meta refresh when the body is HTML text (`body` null: binary), or null. */
function metaRefresh(contentType: string | null, body: string | null): string | null {
  if (body === null || (contentType !== null && !/html/i.test(contentType))) return null;
  return metaRefreshContent(body);
}

/** A declaration read from one refresh content, or null when it does not start with a delay (HTML standard). */
function declaration(content: string | null, kind: RefreshDeclaration['kind']): RefreshDeclaration | null {
  if (content === null || !/^[\t\n\f\r ]*[0-9.]/.test(content)) return null;
  return { target: refreshTarget(content), delaySeconds: refreshDelay(content), kind };
}

/**
 * refreshDeclaration: the refresh a response declares, URL or not: the `Refresh` header or a meta
 * refresh in an HTML body (`body` as text, or null when binary), the one with the shorter delay when
 * both are there (the header on a tie). Null when there is none. Pure.
 */
export function refreshDeclaration(headers: [string, string][], contentType: string | null, body: string | null): RefreshDeclaration | null {
  const fromHeader = declaration(refreshHeader(headers), 'refresh_header');
  const fromMeta = declaration(metaRefresh(contentType, body), 'meta_refresh');
  // Both declared: the one that fires first is what the browser does.
  if (fromHeader !== null && fromMeta !== null) return fromMeta.delaySeconds < fromHeader.delaySeconds ? fromMeta : fromHeader;
  return fromHeader ?? fromMeta;
}

/**
 * refreshRedirect: the URL text a response asks the browser to go to by refresh, and where it came
 * from: the `Refresh` header first, else a meta refresh in an HTML body (`body` as text, or null
 * when binary). Null when there is none, or when it names no URL (a reload). Pure.
 */
export function refreshRedirect(headers: [string, string][], contentType: string | null, body: string | null): { target: string; kind: RedirectKind } | null {
  const header = refreshHeader(headers);
  const fromHeader = header === null ? null : refreshTarget(header);
  if (fromHeader !== null) return { target: fromHeader, kind: 'refresh_header' };
  const content = metaRefresh(contentType, body);
  const target = content === null ? null : refreshTarget(content);
  return target === null ? null : { target, kind: 'meta_refresh' };
}
