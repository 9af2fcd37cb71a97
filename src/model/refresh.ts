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

/**
 * refreshUrlText: the URL text a refresh value names (`N; url=...`, `N, URL`, `N;URL='...'`), not
 * yet resolved against the page's URL; null when it names none (a reload of the same page) or does
 * not start with a delay. The parse is the HTML
 * standard's "shared declarative refresh steps" (html.spec.whatwg.org, section 4.2.5.3), which is
 * what browsers follow for both the `Refresh` header and `<meta http-equiv=refresh>`: an opening
 * quote without its closing one runs to the end of the value, and a quote with no opening one is
 * part of the URL. Pure.
 */
export function refreshUrlText(value: string): string | null {
  let i = 0;
  const skipWhitespace = (): void => {
    while (isAsciiWhitespace(value[i])) i++;
  };
  skipWhitespace();
  const digitsStart = i;
  while (value[i] !== undefined && value[i]! >= '0' && value[i]! <= '9') i++;
  if (i === digitsStart && value[i] !== '.') return null;
  while (value[i] !== undefined && ((value[i]! >= '0' && value[i]! <= '9') || value[i] === '.')) i++;
  if (i < value.length) {
    if (value[i] !== ';' && value[i] !== ',' && !isAsciiWhitespace(value[i])) return null;
    skipWhitespace();
    if (value[i] === ';' || value[i] === ',') i++;
    skipWhitespace();
  }
  if (i >= value.length) return null;
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
  const raw = urlString.trim();
  return raw === '' ? null : raw;
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
