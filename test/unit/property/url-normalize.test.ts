/**
 * Property-based tests (fast-check) of the URL normaliser: whatever the input, it never throws and
 * its output is canonical (idempotent, http/https only, no fragment, no credentials, no control
 * character, bounded length).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_URL_LENGTH, normalizeUrl } from '../../../src/targets/normalize.js';

const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
const httpUrl = fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true });

describe('normalizeUrl (property)', () => {
  it('never throws, and an accepted URL is canonical and normalises to itself', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, httpUrl, httpUrl.map((u) => u.toUpperCase()), fc.tuple(httpUrl, anyText).map(([u, t]) => u + t)), (raw) => {
        const r = normalizeUrl(raw);
        if (!r.ok) {
          expect(typeof r.reason).toBe('string');
          expect(r.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(r.url).toMatch(/^https?:\/\/[^/@]+\//);
        expect(r.url).not.toContain('#');
        // eslint-disable-next-line no-control-regex
        expect(r.url).not.toMatch(/[\u0000-\u0020\u007f]/);
        expect(r.url.length).toBeLessThanOrEqual(MAX_URL_LENGTH);
        expect(normalizeUrl(r.url)).toEqual({ ok: true, url: r.url });
      }),
      { numRuns: 2000 },
    );
  });

  it('every generated http(s) URL without credentials is accepted, and its fragment dropped', () => {
    fc.assert(
      fc.property(httpUrl, (u) => {
        fc.pre(!new URL(u).username && !new URL(u).password && !u.includes('@'));
        const r = normalizeUrl(u);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.url).toBe(new URL(r.url).href.replace(/#.*$/, ''));
      }),
      { numRuns: 1000 },
    );
  });
});
