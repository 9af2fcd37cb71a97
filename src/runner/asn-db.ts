/**
 * The IP-to-ASN database of `@ip-location-db/asn` (CC-BY-4.0, RouteViews + DB-IP), loaded lazily:
 * nothing is read until the first lookup of an address of that family (most measurements never
 * need one: the DNS comparison asks for ASNs only when the probe's and the control's addresses
 * share none), then each family is read once (IPv4 ~21 MB, about 0.3 s; IPv6 ~11 MB) and indexed
 * for binary search (`src/classify/asn.ts`). Lookups are then O(log n).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AsnLookup } from '../classify/index.js';
import type { AsnDbRecord } from '../model/index.js';
import { buildAsnIndexV4, buildAsnIndexV6, ipKey, type AsnIndex } from '../classify/asn.js';

/** A lazily loaded ASN database. */
export interface AsnDatabase {
  /** The lookup hook for classify: ASN of an address, 0 when unknown or the data is missing. */
  lookup: AsnLookup;
  /** Whether the family's file has been loaded yet (for tests and the bench). */
  loaded(): { v4: boolean; v6: boolean };
  /** Loads the IPv4 table now if it was not tried yet (~60 ms of CPU): done while the run waits on the network. Never throws. */
  warm(): void;
  /** Why the data could not be loaded (missing package), or null. */
  error(): string | null;
  /**
   * The package name and exact version of the data (`@ip-location-db/asn`, pinned in
   * package.json so that a stored report re-classifies the same way), written as `asn_db` on every
   * report line whose classification asked the database; null when the package is missing.
   */
  info: AsnDbRecord | null;
}

/** The npm package the ASN data comes from. */
export const ASN_DB_PACKAGE = '@ip-location-db/asn';

/** asnDbInfo reads the name and version of the ASN package in `dir` (its package.json), or null. */
export function asnDbInfo(dir: string | null = asnPackageDir()): AsnDbRecord | null {
  if (dir === null) return null;
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
    return typeof pkg.version === 'string' ? { name: typeof pkg.name === 'string' ? pkg.name : ASN_DB_PACKAGE, version: pkg.version } : null;
  } catch {
    return null;
  }
}

/**
 * trackAsnUse wraps a lookup so that the caller can tell whether one classification asked it:
 * `used()` is true after the first call. One tracker per report line.
 */
export function trackAsnUse(lookup: AsnLookup): { lookup: AsnLookup; used(): boolean } {
  let asked = false;
  return {
    lookup: (ip: string): number => {
      asked = true;
      return lookup(ip);
    },
    used: () => asked,
  };
}

/** The directory of the installed `@ip-location-db/asn` package, or null when it is not installed. */
export function asnPackageDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json'));
  } catch {
    return null;
  }
}

/**
 * createAsnDatabase returns a lazy database over `dir` (default: the installed package). A missing
 * or unreadable file makes every lookup of that family return 0 and is reported by `error()`;
 * it never throws.
 */
export function createAsnDatabase(dir: string | null = asnPackageDir()): AsnDatabase {
  let v4: AsnIndex | null = null;
  let v6: AsnIndex | null = null;
  let failed: string | null = dir === null ? '@ip-location-db/asn is not installed' : null;
  const load = (file: string, build: (csv: Buffer) => AsnIndex): AsnIndex | null => {
    if (dir === null) return null;
    try {
      return build(readFileSync(join(dir, file)));
    } catch (e) {
      failed = `${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
      return null;
    }
  };
  let triedV4 = false;
  let triedV6 = false;
  const loadV4 = (): void => {
    if (triedV4) return;
    triedV4 = true;
    v4 = load('asn-ipv4-num.csv', buildAsnIndexV4);
  };
  return {
    lookup(ip: string): number {
      const k = ipKey(ip);
      if (k === null) return 0;
      if (k.family === 4) {
        loadV4();
        return v4?.find(k.key) ?? 0;
      }
      if (!triedV6) {
        triedV6 = true;
        v6 = load('asn-ipv6-num.csv', (csv) => buildAsnIndexV6(csv.toString('latin1')));
      }
      return v6?.find(k.key) ?? 0;
    },
    loaded: () => ({ v4: v4 !== null, v6: v6 !== null }),
    warm: loadV4,
    error: () => failed,
    info: asnDbInfo(dir),
  };
}

let shared: AsnDatabase | null = null;

/** sharedAsnDatabase: one lazy database per process (the default package). */
export function sharedAsnDatabase(): AsnDatabase {
  shared ??= createAsnDatabase();
  return shared;
}
