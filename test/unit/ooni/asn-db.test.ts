import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asnDbInfo, ASN_DB_PACKAGE, createAsnDatabase, trackAsnUse } from '../../../src/runner/asn-db.js';

describe('the pinned ASN data and its version', () => {
  it('is pinned to an exact version in package.json, the version the database reports', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const pinned = pkg.dependencies[ASN_DB_PACKAGE];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(asnDbInfo()).toEqual({ name: ASN_DB_PACKAGE, version: pinned });
    expect(createAsnDatabase().info).toEqual({ name: ASN_DB_PACKAGE, version: pinned });
    expect(createAsnDatabase(null).info).toBeNull();
  });

  it('tells whether a classification asked the database', () => {
    const t = trackAsnUse(() => 15169);
    expect(t.used()).toBe(false);
    expect(t.lookup('8.8.8.8')).toBe(15169);
    expect(t.used()).toBe(true);
  });
});
