/**
 * The characters that must never reach a terminal raw, and {@link jsonSafe}, which keeps them out
 * of every JSON line we write (reports, `--json` output) without changing any value. The console
 * escaping of src/cli (`src/cli/escape.ts`, `safeText`) uses the same set. See SECURITY.md.
 *
 * The set (Unicode general category Cc, and the bidi controls of Unicode TR #9): C0 controls
 * U+0000-U+001F (ESC, CR, LF, TAB...), DEL U+007F, C1 controls U+0080-U+009F (U+009B is a one-byte
 * CSI on some terminals), the bidi embeddings/overrides/isolates U+202A-U+202E and U+2066-U+2069,
 * the marks U+200E, U+200F, U+061C, and the separators U+2028, U+2029. A raw control can change a
 * window title (OSC) or erase lines (CSI); a bidi override can make a URL read as another
 * (Trojan Source, CVE-2021-42574).
 */

/** Source of the character class (without the brackets' flags). */
// eslint-disable-next-line no-control-regex
export const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const UNSAFE_GLOBAL = new RegExp(UNSAFE_CHARS.source, 'g');
// JSON.stringify escapes C0 controls itself; what it leaves raw is DEL, C1, bidi and separators.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const JSON_UNSAFE_GLOBAL = new RegExp(JSON_UNSAFE.source, 'g');

/** True when `text` holds a character of the set. */
export function hasUnsafeChars(text: string): boolean {
  return UNSAFE_CHARS.test(text);
}

/** Replaces every character of the set in `text` with `replace(ch)`. */
export function replaceUnsafeChars(text: string, replace: (ch: string) => string): string {
  return UNSAFE_CHARS.test(text) ? text.replace(UNSAFE_GLOBAL, replace) : text;
}

/**
 * jsonSafe makes JSON text (from `JSON.stringify`) terminal-safe without changing its value: DEL,
 * C1 controls, bidi controls and U+2028/U+2029, which `JSON.stringify` leaves raw, become `\u00XX`
 * / `\uXXXX` escapes, which every JSON parser reads back as the same character. A raw character of
 * the set can only be inside a string literal of JSON text, where the escape is valid.
 */
export function jsonSafe(json: string): string {
  return JSON_UNSAFE.test(json) ? json.replace(JSON_UNSAFE_GLOBAL, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}
