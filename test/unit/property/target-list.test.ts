/**
 * Property-based tests (fast-check) of the target-list parser: for any text it never throws and
 * accounts for every line (a target or a FILE:LINE error, in range); a plain list of valid URLs
 * with comments and blank lines gives exactly the de-duplicated URLs in order; a Citizen Lab CSV
 * (header as the parser's CITIZEN_LAB_HEADER, quoted notes with commas, quotes and newlines) gives
 * one target per distinct URL with its category.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CITIZEN_LAB_HEADER, parseTargetList } from '../../../src/targets/parse.js';
import { normalizeUrl } from '../../../src/targets/normalize.js';

const host = fc.domain().filter((d) => normalizeUrl(`https://${d}/`).ok);
const url = fc.tuple(fc.constantFrom('http', 'https'), host, fc.stringMatching(/^(\/[a-z0-9_-]{0,8}){0,3}$/)).map(([s, h, p]) => `${s}://${h}${p}`);

describe('parseTargetList (property)', () => {
  it('never throws on any text; errors name lines that exist', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.array(fc.oneof(fc.string(), url), { maxLength: 20 }).map((l) => l.join('\n'))), (text) => {
        const r = parseTargetList(text, 'list.txt');
        const lineCount = text.split(/\r\n|\n|\r/).length;
        for (const e of r.errors) {
          expect(e.source).toBe('list.txt');
          expect(e.line).toBeGreaterThanOrEqual(0);
          expect(e.line).toBeLessThanOrEqual(lineCount);
          expect(e.reason.length).toBeGreaterThan(0);
        }
        for (const t of r.targets) expect(normalizeUrl(t.url)).toEqual({ ok: true, url: t.url });
        expect(new Set(r.targets.map((t) => t.url)).size).toBe(r.targets.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('a plain list of valid URLs, comments and blank lines gives the de-duplicated URLs in order', () => {
    const entry = fc.oneof(
      { weight: 4, arbitrary: url.map((u) => ({ u, line: u })) },
      { weight: 1, arbitrary: url.map((u) => ({ u, line: `  ${u}  # a note` })) },
      { weight: 1, arbitrary: fc.string().map((s) => ({ u: null, line: `# ${s.replace(/[\r\n]/g, ' ')}` })) },
      { weight: 1, arbitrary: fc.constantFrom('', '   ', '\t').map((line) => ({ u: null, line })) },
    );
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 30 }), fc.constantFrom('\n', '\r\n'), (entries, eol) => {
        fc.pre(!(entries[0]?.line ?? '').startsWith('url,'));
        const r = parseTargetList(entries.map((e) => e.line).join(eol), 'list.txt');
        expect(r.errors).toEqual([]);
        const expected = [...new Set(entries.flatMap((e) => (e.u === null ? [] : [(normalizeUrl(e.u) as { url: string }).url])))];
        expect(r.targets.map((t) => t.url)).toEqual(expected);
        for (const t of r.targets) expect(t.category_code).toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('a Citizen Lab CSV gives one target per distinct URL with its category, whatever the notes hold', () => {
    const note = fc.string().map((s) => `"${s.replace(/"/g, '""')}"`);
    const row = fc.tuple(url, fc.constantFrom('NEWS', 'HUMR', 'POLR', 'GRP'), note).map(([u, c, n]) => ({ u, c, line: `${u},${c},desc,2020-01-01,src,${n}` }));
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 20 }), (rows) => {
        const r = parseTargetList([CITIZEN_LAB_HEADER, ...rows.map((x) => x.line)].join('\n'), 'global.csv');
        expect(r.errors).toEqual([]);
        const first = new Map<string, string>();
        for (const x of rows) {
          const n = (normalizeUrl(x.u) as { url: string }).url;
          if (!first.has(n)) first.set(n, x.c);
        }
        expect(r.targets.map((t) => [t.url, t.category_code])).toEqual([...first.entries()]);
      }),
      { numRuns: 300 },
    );
  });
});
