/**
 * Console safety: THE escaping of every string that came from outside (network: titles, headers,
 * error messages, helper answers; input files: target lists, reports, OONI files, scenario files,
 * fingerprint files; file names) before it reaches a terminal. Every message src/cli prints with
 * such a string goes through {@link safeText} (one line) or {@link safeLines}; JSON output goes
 * through {@link jsonSafe}. The character set is in `src/report/unsafe-chars.ts` (C0/C1 controls,
 * DEL, bidi controls, U+2028/U+2029); SECURITY.md says why.
 */
import { jsonSafe, replaceUnsafeChars } from '../report/unsafe-chars.js';

export { jsonSafe };

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * safeText returns `text` with every unsafe character replaced by a visible escape (`\x1b`,
 * `\x0a`, `\u202e`), so the result is one line with nothing hidden, cut to at most `max`
 * characters (default 2000; `…` marks a cut). Non-strings are converted with `String()`. Never throws.
 */
export function safeText(text: unknown, max = 2000): string {
  const s = replaceUnsafeChars(typeof text === 'string' ? text : String(text), escapeChar);
  return s.length > max ? `${s.slice(0, Math.max(0, max - 1))}…` : s;
}

/**
 * safeLines escapes a multi-line text line by line (the `\n` line breaks kept, `\r\n` accepted),
 * each line as {@link safeText}: for messages made of several lines (`FILE:LINE: reason` lists) or
 * a child process's captured output.
 */
export function safeLines(text: unknown, maxPerLine = 2000): string {
  return (typeof text === 'string' ? text : String(text))
    .split(/\r?\n/)
    .map((l) => safeText(l, maxPerLine))
    .join('\n');
}

/** safeJson is `jsonSafe(JSON.stringify(value))`: one terminal-safe JSON line (no newline). */
export function safeJson(value: unknown): string {
  return jsonSafe(JSON.stringify(value));
}
