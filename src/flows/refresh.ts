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

/** Where a followed redirect came from. */
export type RedirectKind = 'location' | 'refresh_header' | 'meta_refresh';

/** Bytes of the body searched for a meta refresh (browsers act on one in the document's head). */
const META_SEARCH_BYTES = 64 * 1024;

/**
 * refreshTarget returns the URL text of a refresh declaration's content (`"0; url=/next"` →
 * `/next`), or null when it names no URL (a plain reload such as `"30"`) or is malformed. Pure.
 */
export function refreshTarget(content: string): string | null {
  const m = /^[\t\n\f\r ]*[0-9.]*[\t\n\f\r ]*[;,]?[\t\n\f\r ]*(?:url[\t\n\f\r ]*=[\t\n\f\r ]*)?(.*)$/is.exec(content);
  if (m === null) return null;
  let rest = (m[1] ?? '').trim();
  if (rest === '') return null;
  const q = rest[0];
  if (q === '"' || q === "'") {
    const end = rest.indexOf(q, 1);
    rest = end === -1 ? rest.slice(1) : rest.slice(1, end);
  }
  rest = rest.trim();
  return rest === '' ? null : rest;
}

/**
 * metaRefreshContent finds the first `<meta http-equiv="refresh" content="...">` in the first
 * 64 KiB of `html` (attributes in any order, quoted or not, any case) and returns its content
 * attribute, or null. Pure; never throws.
 */
export function metaRefreshContent(html: string): string | null {
  const text = html.length > META_SEARCH_BYTES ? html.slice(0, META_SEARCH_BYTES) : html;
  const tagRe = /<meta\b([^>]*)>/gi;
  for (let m = tagRe.exec(text); m !== null; m = tagRe.exec(text)) {
    const attrs = parseAttributes(m[1] ?? '');
    if ((attrs.get('http-equiv') ?? '').toLowerCase() !== 'refresh') continue;
    const content = attrs.get('content');
    if (content !== undefined) return decodeEntities(content);
  }
  return null;
}

function parseAttributes(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!out.has(name)) out.set(name, m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

function decodeEntities(s: string): string {
  return s.replace(/&amp;/gi, '&').replace(/&quot;/gi, '"').replace(/&#39;|&apos;/gi, "'").replace(/&lt;/gi, '<').replace(/&gt;/gi, '>');
}

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
