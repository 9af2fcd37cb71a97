/**
 * Refresh declarations (a `Refresh` response header, an HTML `<meta http-equiv="refresh">`), read as
 * browsers read them: the HTML standard's "shared declarative refresh steps"
 * (https://html.spec.whatwg.org/multipage/semantics.html#shared-declarative-refresh-steps). One
 * parser for the flow that follows refreshes (flows/refresh.ts) and the classifier that compares
 * them with the control (classify/response.ts), so that both read a value the same way. Pure.
 */

/** Bytes of the body searched for a meta refresh (browsers act on one in the document's head). */
const META_SEARCH_BYTES = 64 * 1024;

/** ASCII whitespace of the HTML standard (tab, LF, FF, CR, space). */
function isAsciiWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';
}

/** What a refresh value declares: nothing (the steps abort), a reload of the same page, or a URL (its text, not yet resolved). */
export type RefreshParse = { kind: 'none' } | { kind: 'reload'; delaySeconds: number } | { kind: 'url'; delaySeconds: number; url: string };

/** Leading and trailing C0 controls and spaces: what the URL parser strips (not Unicode spaces such as NBSP). */
const URL_EDGE_SPACE = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;

/**
 * parseRefresh reads a refresh value (`N; url=...`, `N, URL`, `N;URL='...'`) with the HTML
 * standard's "shared declarative refresh steps" (html.spec.whatwg.org, section 4.2.5.3), which is
 * what browsers follow for both the `Refresh` header and `<meta http-equiv=refresh>`: `none` when
 * the steps abort (no delay first, or a delay followed by anything but `;`, `,` or whitespace: such
 * a value does nothing at all), `reload` when it names no URL, else the URL's text. An opening
 * quote without its closing one runs to the end of the value; a quote with no opening one is part
 * of the URL. The delay is its integer part in seconds. Pure.
 */
export function parseRefresh(value: string): RefreshParse {
  let i = 0;
  const skipWhitespace = (): void => {
    while (isAsciiWhitespace(value[i])) i++;
  };
  skipWhitespace();
  const digitsStart = i;
  while (value[i] !== undefined && value[i]! >= '0' && value[i]! <= '9') i++;
  if (i === digitsStart && value[i] !== '.') return { kind: 'none' };
  const delaySeconds = i === digitsStart ? 0 : Number.parseInt(value.slice(digitsStart, i), 10);
  while (value[i] !== undefined && ((value[i]! >= '0' && value[i]! <= '9') || value[i] === '.')) i++;
  if (i < value.length) {
    if (value[i] !== ';' && value[i] !== ',' && !isAsciiWhitespace(value[i])) return { kind: 'none' };
    skipWhitespace();
    if (value[i] === ';' || value[i] === ',') i++;
    skipWhitespace();
  }
  if (i >= value.length) return { kind: 'reload', delaySeconds };
  let urlString = value.slice(i);
  // "url" then "=" (each step may fail and fall through to parsing the remainder as it is).
  let quotes = false;
  if (value[i] === 'u' || value[i] === 'U') {
    let j = i + 1;
    if ((value[j] === 'r' || value[j] === 'R') && (value[j + 1] === 'l' || value[j + 1] === 'L')) {
      j += 2;
      while (isAsciiWhitespace(value[j])) j++;
      if (value[j] === '=') {
        j++;
        while (isAsciiWhitespace(value[j])) j++;
        i = j;
        quotes = true;
      }
    }
  } else {
    quotes = true;
  }
  if (quotes) {
    const quote: string = value[i] === "'" || value[i] === '"' ? (value[i] as string) : '';
    if (quote !== '') i++;
    urlString = value.slice(i);
    if (quote !== '') {
      const end = urlString.indexOf(quote);
      if (end !== -1) urlString = urlString.slice(0, end);
    }
  }
  const url = urlString.replace(URL_EDGE_SPACE, '');
  return url === '' ? { kind: 'reload', delaySeconds } : { kind: 'url', delaySeconds, url };
}

/** refreshUrlText: the URL text a refresh value names ({@link parseRefresh}), or null when it names none or declares nothing. Pure. */
export function refreshUrlText(value: string): string | null {
  const r = parseRefresh(value);
  return r.kind === 'url' ? r.url : null;
}

/** Comments and the text of elements whose content is not markup (a `<meta>` there is no element); `<noscript>` is read, as a browser without scripts (like the probe) reads it. */
const NOT_MARKUP = /<!--[\s\S]*?(?:-->|$)|<(script|style|template|textarea|title|xmp|iframe|noembed|noframes)(?=[\s/>])[\s\S]*?(?:<\/\1(?=[\s/>])[^>]*>|$)/gi;

/**
 * metaRefreshContent: the content of the document's first `<meta http-equiv="refresh">` whose
 * content declares a refresh ({@link parseRefresh} not `none`: browsers skip an empty or invalid
 * one and act on the next), in the first 64 KiB of `html`; attributes in any order, quoted or
 * not, any case; character references decoded. Tags inside comments, scripts, styles and other
 * raw-text elements are not elements and are skipped. Null when there is none. Pure; never throws.
 */
export function metaRefreshContent(html: string): string | null {
  const head = html.length > META_SEARCH_BYTES ? html.slice(0, META_SEARCH_BYTES) : html;
  // Most pages have no meta refresh: the cheap test first, the markup-only copy when it may.
  if (!/http-equiv/i.test(head)) return null;
  // Cut after the last `>`: a `<meta` with no `>` after it is no tag, and the tag search below
  // must not rescan to the end for each of many such (a hostile body would stall the event loop).
  const marked = head.replace(NOT_MARKUP, ' ');
  const text = marked.slice(0, marked.lastIndexOf('>') + 1);
  const tagRe = /<meta\b([^>]*)>/gi;
  for (let m = tagRe.exec(text); m !== null; m = tagRe.exec(text)) {
    const attrs = parseAttributes(m[1] ?? '');
    if (decodeEntities(attrs.get('http-equiv') ?? '').trim().toLowerCase() !== 'refresh') continue;
    const content = attrs.get('content');
    if (content === undefined) continue;
    const decoded = decodeEntities(content);
    if (parseRefresh(decoded).kind !== 'none') return decoded;
  }
  return null;
}

function parseAttributes(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!out.has(name)) out.set(name, m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/** Named character references a refresh URL may carry (the HTML standard's, the URL's punctuation); numeric ones are all decoded. */
const NAMED: Readonly<Record<string, string>> = {
  amp: '&', quot: '"', apos: "'", lt: '<', gt: '>', colon: ':', sol: '/', num: '#', quest: '?', equals: '=', percnt: '%',
  period: '.', comma: ',', semi: ';', excl: '!', lowbar: '_', hyphen: '-', dash: '-', plus: '+', commat: '@', dollar: '$',
  lpar: '(', rpar: ')', lsqb: '[', rsqb: ']', lbrack: '[', rbrack: ']', tilde: '~', ast: '*', midast: '*', bsol: '\\', nbsp: '\u00a0', Tab: '\t', NewLine: '\n',
};

/** decodeEntities decodes numeric character references (`&#58;`, `&#x3a;`) and the named ones of {@link NAMED} (`;` required for these). Pure. */
function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z]+));?/g, (all: string, dec?: string, hex?: string, name?: string) => {
    if (dec !== undefined || hex !== undefined) {
      const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex as string, 16);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
    }
    const named = name !== undefined && all.endsWith(';') ? NAMED[name] : undefined;
    return named ?? (name === 'amp' || name === 'quot' || name === 'lt' || name === 'gt' ? (NAMED[name] as string) : all);
  });
}

/** The refresh a response makes a browser do: its kind, where it was declared, and the URL text (null: a reload). */
export interface RefreshOfResponse {
  kind: 'refresh_header' | 'meta_refresh';
  delaySeconds: number;
  /** The URL's text, not yet resolved; null for a reload of the same page. */
  target: string | null;
}

/**
 * refreshOf: the refresh a response declares, as a browser acts on it: the `Refresh` header when
 * it declares one (the document then "will declaratively refresh" and every meta refresh is
 * ignored), else the first valid meta refresh of an HTML body (`contentType` null: unknown, read
 * as HTML; `body` null: binary). Null when there is none. Pure.
 */
export function refreshOf(refreshHeader: string | null, contentType: string | null, body: string | null): RefreshOfResponse | null {
  if (refreshHeader !== null) {
    const r = parseRefresh(refreshHeader);
    if (r.kind !== 'none') return { kind: 'refresh_header', delaySeconds: r.delaySeconds, target: r.kind === 'url' ? r.url : null };
  }
  if (body === null || (contentType !== null && !/html/i.test(contentType))) return null;
  const content = metaRefreshContent(body);
  if (content === null) return null;
  const r = parseRefresh(content);
  return r.kind === 'none' ? null : { kind: 'meta_refresh', delaySeconds: r.delaySeconds, target: r.kind === 'url' ? r.url : null };
}

/**
 * True when two URLs name the same document as a browser sees it: equal once parsed (`http://host`
 * is `http://host/`, the host's case and a default port do not matter), fragments aside. Pure.
 */
export function sameDocument(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    x.hash = '';
    y.hash = '';
    return x.href === y.href;
  } catch {
    return a === b;
  }
}
