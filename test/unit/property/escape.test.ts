/**
 * Property-based tests (fast-check) of the console escaping (src/cli/escape.ts): no output of
 * safeText holds a terminal-unsafe character, text without one is unchanged, and jsonSafe never
 * changes a JSON value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSafe, safeLines, safeText } from '../../../src/cli/escape.js';
import { hasUnsafeChars } from '../../../src/report/index.js';

const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('\u001b', '\u0007', '\u009b', '\u202e', '\u2066', '\n', '\r', 'a', 'é', '😀') }));

describe('console escaping (property)', () => {
  it('safeText output is one line with no unsafe character; safe text is unchanged', () => {
    fc.assert(
      fc.property(text, (s) => {
        const out = safeText(s, 1_000_000);
        expect(hasUnsafeChars(out)).toBe(false);
        if (!hasUnsafeChars(s)) expect(out).toBe(s);
        for (const line of safeLines(s, 1_000_000).split('\n')) expect(hasUnsafeChars(line)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('jsonSafe keeps the JSON value and removes every raw unsafe character', () => {
    fc.assert(
      fc.property(fc.jsonValue(), text, (v, s) => {
        const json = JSON.stringify({ v, s });
        const safe = jsonSafe(json);
        expect(hasUnsafeChars(safe)).toBe(false);
        expect(JSON.parse(safe)).toEqual(JSON.parse(json));
      }),
      { numRuns: 2000 },
    );
  });

  it('examples: an OSC title change, a CSI erase, a bidi override', () => {
    expect(safeText('\u001b]0;PWNED\u0007')).toBe('\\x1b]0;PWNED\\x07');
    expect(safeText('a\u001b[2Jb')).toBe('a\\x1b[2Jb');
    expect(safeText('moc.elgoog\u202e')).toBe('moc.elgoog\\u202e');
    expect(safeText('x'.repeat(10), 5)).toBe('xxxx…');
  });
});
