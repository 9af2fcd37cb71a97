/**
 * The ONE definition of a final response and of a redirect, shared by the OONI keys (`ooni.ts`
 * through `web-observations.ts`) and our verdict (`layer-http.ts`).
 *
 * - A response is *final* for OONI when its status is 2xx, 4xx or 5xx (OONI probe-cli
 *   `internal/minipipeline/observation.go`, `httpResponseIsFinal`); the OONI keys use exactly that.
 * - Our verdict also counts as a redirect (so not as the page) a `Refresh` header or a
 *   `<meta http-equiv="refresh">` that names another URL, as browsers follow both
 *   (HTML Living Standard, "shared declarative refresh steps"); docs/verdict-rules.md. (A cookie
 *   reload of the same URL, which the flow records in `x_redirects`, is read in `layer-http.ts`.)
 * Pure.
 */
import type { HttpRequestObservation } from '../model/index.js';
import { metaRefreshContent, refreshOf, refreshUrlText, sameDocument } from '../model/refresh.js';

/** True when an HTTP status is final for OONI: 2xx, 4xx or 5xx. */
export function isFinalStatus(code: number): boolean {
  const klass = Math.trunc(code / 100);
  return klass === 2 || klass === 4 || klass === 5;
}

/** How a response sent the client elsewhere. */
export type RedirectKind = 'location' | 'refresh_header' | 'meta_refresh';

/** A redirect: its kind and absolute target ('' when a 3xx has no usable Location). */
export interface RedirectSignal {
  kind: RedirectKind;
  target: string;
}

/**
 * The URL of a refresh value (`N; url=...`, `N, URL`, `N;URL='...'`), absolute against `base`;
 * null when it names none (a reload of the same page) or cannot be parsed (model/refresh.ts: the
 * HTML standard's steps, as browsers and our flow read it). Pure.
 */
export function refreshTarget(value: string, base: string): string | null {
  const raw = refreshUrlText(value);
  if (raw === null) return null;
  try {
    return new URL(raw, base).href;
  } catch {
    return null;
  }
}

function header(headers: Record<string, string>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** The target of the document's meta refresh (the first `<meta http-equiv="refresh">` with a content, model/refresh.ts) in `html`, or null. */
export function metaRefreshTarget(html: string, base: string): string | null {
  const content = metaRefreshContent(html);
  return content === null ? null : refreshTarget(content, base);
}

/**
 * redirectOf says whether a probe response sends the client elsewhere: a 3xx (`location`, target
 * the Location header resolved against the request URL, '' when missing or invalid), a `Refresh`
 * header naming another URL, or a meta refresh naming another URL. A refresh to the same URL (a
 * page that reloads itself) is not a redirect. Null for a page.
 */
export function redirectOf(request: HttpRequestObservation): RedirectSignal | null {
  const r = request.response;
  if (r === null) return null;
  const base = request.request.url;
  if (!isFinalStatus(r.code)) {
    const loc = header(r.headers, 'location');
    let target = '';
    try {
      if (loc !== undefined) target = new URL(loc, base).href;
    } catch {
      target = '';
    }
    return { kind: 'location', target };
  }
  // As a browser acts on it (model/refresh.ts refreshOf): a valid Refresh header wins over any
  // meta refresh; a meta refresh counts in an HTML (or untyped) body only, as the flow reads it.
  const d = refreshOf(header(r.headers, 'refresh') ?? null, header(r.headers, 'content-type') ?? null, typeof r.body === 'string' ? r.body : null);
  if (d === null || d.target === null) return null;
  let target: string;
  try {
    target = new URL(d.target, base).href;
  } catch {
    return null;
  }
  return sameDocument(target, base) ? null : { kind: d.kind, target };
}

/** True when a control response's headers carry a Refresh to another URL (the control was redirected). */
export function controlRefreshes(headers: Record<string, string>, url: string): boolean {
  const refresh = header(headers, 'refresh');
  if (refresh === undefined) return false;
  const t = refreshTarget(refresh, url || 'http://invalid/');
  return t !== null && !sameDocument(t, url);
}
