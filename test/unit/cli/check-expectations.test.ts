/**
 * `check --expect FILE` parsing (src/cli/commands/check.ts, parseExpectations): an expectation file
 * with no expectation is refused (it would pass whatever was measured), and a JSON error is one line
 * whatever the file's own line breaks.
 */
import { describe, expect, it } from 'vitest';
import { parseExpectations } from '../../../src/cli/commands/check.js';
import { parserMessage, UsageError } from '../../../src/cli/options.js';

const normalize = (u: string): string | null => (/^https?:\/\//.test(u) ? u : null);

describe('parseExpectations', () => {
  it('refuses {}: no expectation in it', () => {
    expect(() => parseExpectations('{}\n', 'e.json', normalize)).toThrow(new UsageError('--expect e.json: no expectation in it'));
  });
  it('reads one expectation', () => {
    expect([...parseExpectations('{"https://a.example/": "dns"}', 'e.json', normalize)]).toEqual([['https://a.example/', [{ label: 'dns' }]]]);
  });
  it('a JSON error is one line, without the file\'s newlines', () => {
    let message = '';
    try {
      parseExpectations('{\n  "https://a.example/": "dns",\n  oops\n}\n', 'e.json', normalize);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^--expect e\.json: bad JSON \(.+\)$/);
    expect(message).not.toMatch(/\n/);
  });
});

describe('parserMessage', () => {
  it('folds white space and cuts long messages', () => {
    expect(parserMessage(new Error('a\n  b\r\n\tc'))).toBe('a b c');
    expect(parserMessage('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
