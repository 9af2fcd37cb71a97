import { describe, expect, it } from 'vitest';
import { DEFAULT_TARGET_ENTRIES, DEFAULT_TARGETS, isBaselineUrl } from '../../../src/targets/default-list.js';
import { normalizeUrl } from '../../../src/targets/normalize.js';

/** Citizen Lab's new category codes (lists/00-LEGEND-new_category_codes.csv; peers-and-methods.md 4.1). */
const CITIZEN_LAB_CODES = [
  'ALDR', 'REL', 'PORN', 'PROV', 'POLR', 'HUMR', 'ENV', 'MILX', 'HATE', 'NEWS', 'XED', 'PUBH', 'GMB', 'ANON', 'DATE',
  'GRP', 'LGBT', 'FILE', 'HACK', 'COMT', 'MMED', 'HOST', 'SRCH', 'GAME', 'CULTR', 'ECON', 'GOVT', 'COMM', 'CTRL', 'IGO',
  'MISC',
];

describe('the built-in default list', () => {
  it('has about 30 entries, each already normalised and unique', () => {
    expect(DEFAULT_TARGET_ENTRIES.length).toBeGreaterThanOrEqual(28);
    expect(DEFAULT_TARGET_ENTRIES.length).toBeLessThanOrEqual(35);
    for (const entry of DEFAULT_TARGET_ENTRIES) expect(normalizeUrl(entry.url)).toEqual({ ok: true, url: entry.url });
    expect(new Set(DEFAULT_TARGET_ENTRIES.map((e) => e.url)).size).toBe(DEFAULT_TARGET_ENTRIES.length);
  });

  it('uses only real Citizen Lab category codes and documents every entry', () => {
    expect(CITIZEN_LAB_CODES).toHaveLength(31);
    for (const entry of DEFAULT_TARGET_ENTRIES) {
      expect(CITIZEN_LAB_CODES).toContain(entry.category_code);
      expect(entry.note.length).toBeGreaterThan(5);
    }
  });

  it('covers news, social media, messaging, circumvention, human rights and baselines', () => {
    const codes = new Set(DEFAULT_TARGET_ENTRIES.map((e) => e.category_code));
    for (const code of ['NEWS', 'GRP', 'MMED', 'COMT', 'ANON', 'HUMR', 'CTRL']) expect(codes).toContain(code);
    const baselines = DEFAULT_TARGET_ENTRIES.filter((e) => e.baseline).map((e) => e.url);
    expect(baselines).toEqual([
      'https://www.wikipedia.org/',
      'https://www.gnu.org/',
      'https://example.com/',
      'http://connectivitycheck.gstatic.com/generate_204',
      'http://captive.apple.com/',
    ]);
    expect(isBaselineUrl('https://example.com/')).toBe(true);
    expect(isBaselineUrl('https://www.torproject.org/')).toBe(false);
  });

  it('exposes the entries as frozen targets with source default', () => {
    expect(Object.isFrozen(DEFAULT_TARGETS)).toBe(true);
    expect(DEFAULT_TARGETS).toEqual(
      DEFAULT_TARGET_ENTRIES.map((e) => ({ url: e.url, category_code: e.category_code, source: 'default' })),
    );
  });
});
