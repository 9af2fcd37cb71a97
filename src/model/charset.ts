/**
 * Charset-aware decoding of HTTP bodies: the text of a page is read in the charset the page
 * declares, so that titles and fingerprints see the words a browser shows (a windows-1251 or
 * koi8-r Russian blockpage, a gbk or shift_jis page) instead of U+FFFD replacement characters.
 *
 * Rules (a reduced form of the WHATWG Encoding Standard "decode" and the HTML "prescan a byte stream
 * to determine its encoding" algorithm, https://html.spec.whatwg.org/#prescan-a-byte-stream-to-determine-its-encoding):
 * a byte-order mark wins; then the `charset` parameter of `Content-Type`; then a `<meta charset>`
 * or `<meta http-equiv="Content-Type" content="...; charset=...">` in the first 1024 bytes; else
 * UTF-8. Labels are resolved by `TextDecoder` (WHATWG labels: `cp1251` → windows-1251, `latin1` →
 * windows-1252, ...); an unknown label falls back to UTF-8. Decoding never throws (invalid bytes
 * become U+FFFD). See docs/ooni-import.md, "Charsets".
 *
 * Lives in `model/` because both `net/` (titles of our own fetches) and `classify/` (fingerprint
 * matching) need it and neither may import the other. Pure: no I/O.
 */
import { TextDecoder } from 'node:util';

/** Bytes of the body searched for a `<meta>` charset declaration (HTML prescan limit). */
export const META_PRESCAN_BYTES = 1024;

/** The `charset` parameter of a `Content-Type` value (`text/html; charset="koi8-r"` → `koi8-r`), or null. */
export function charsetFromContentType(contentType: string | null | undefined): string | null {
  if (typeof contentType !== 'string') return null;
  const m = /;\s*charset\s*=\s*("?)([^";\s]+)\1/i.exec(contentType);
  return m?.[2] ?? null;
}

/** The charset a page declares in a `<meta>` element within its first {@link META_PRESCAN_BYTES} bytes, or null. */
export function charsetFromMeta(body: Uint8Array): string | null {
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, META_PRESCAN_BYTES)).toString('latin1');
  const direct = /<meta[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)/i.exec(head);
  return direct?.[1] ?? null;
}

/** The byte-order-mark encoding (`utf-8`, `utf-16le`, `utf-16be`) of a body, or null. */
function bomEncoding(body: Uint8Array): string | null {
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'utf-8';
  if (body.length >= 2 && body[0] === 0xff && body[1] === 0xfe) return 'utf-16le';
  if (body.length >= 2 && body[0] === 0xfe && body[1] === 0xff) return 'utf-16be';
  return null;
}

/** A TextDecoder for `label`, or null when the label is unknown to the WHATWG Encoding Standard. */
function decoderFor(label: string): TextDecoder | null {
  try {
    return new TextDecoder(label.trim().toLowerCase());
  } catch {
    return null;
  }
}

/**
 * bodyEncoding returns the WHATWG encoding name a body is decoded with (`utf-8`, `windows-1251`,
 * `koi8-r`, `gbk`, `shift_jis`, ...): BOM, then `contentType`'s charset, then `<meta>`, then UTF-8.
 * A `utf-16*` label declared in `<meta>` is read as UTF-8 (HTML prescan rule). Never throws.
 */
export function bodyEncoding(body: Uint8Array, contentType?: string | null): string {
  const bom = bomEncoding(body);
  if (bom !== null) return bom;
  for (const [label, fromMeta] of [[charsetFromContentType(contentType), false], [charsetFromMeta(body), true]] as const) {
    if (label === null) continue;
    const d = decoderFor(label);
    if (d === null) continue;
    if (fromMeta && d.encoding.startsWith('utf-16')) return 'utf-8';
    return d.encoding;
  }
  return 'utf-8';
}

/**
 * decodeBody decodes body bytes to text in the charset the page declares (see the module rules):
 * `decodeBody(koi8rBytes, 'text/html; charset=koi8-r')` gives Cyrillic text. Invalid bytes become
 * U+FFFD; never throws.
 */
export function decodeBody(body: Uint8Array, contentType?: string | null): string {
  const enc = bodyEncoding(body, contentType);
  return (decoderFor(enc) ?? new TextDecoder('utf-8')).decode(body);
}

/**
 * contentTypeOf returns the first `Content-Type` value of a header map or list (names compared
 * case-insensitively), or null.
 */
export function contentTypeOf(headers: Record<string, string> | readonly (readonly [string, string])[] | null | undefined): string | null {
  if (headers === null || headers === undefined) return null;
  const pairs: readonly (readonly [string, string])[] = Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [k, v] of pairs) if (k.toLowerCase() === 'content-type' && typeof v === 'string') return v;
  return null;
}
