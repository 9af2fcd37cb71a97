import { describe, expect, it } from 'vitest';
import { buildAsnIndexV4, buildAsnIndexV6, ipKey, unwrapNat64 } from '../../../src/classify/asn.js';
import { asnPackageDir, createAsnDatabase } from '../../../src/runner/asn-db.js';

const V4 = [
  '16777216,16777471,13335,"Cloudflare, Inc."',
  '1572395008,1572395263,15133,Edgecast',
  '1745912832,1745913087,13335,"Cloudflare, Inc."',
  'not,a,row',
  '',
].join('\n');

describe('the IP-to-ASN index', () => {
  it('finds the range holding an IPv4 address by binary search, 0 outside every range', () => {
    const idx = buildAsnIndexV4(V4);
    expect(idx.size).toBe(3);
    const asn = (ip: string): number => {
      const k = ipKey(ip);
      return k?.family === 4 ? idx.find(k.key) : -1;
    };
    expect(asn('1.0.0.1')).toBe(13335);
    expect(asn('1.0.0.255')).toBe(13335);
    expect(asn('1.0.1.0')).toBe(0);
    expect(asn('93.184.216.34')).toBe(15133);
    expect(asn('104.16.132.229')).toBe(13335);
    expect(asn('0.0.0.1')).toBe(0);
    expect(asn('255.255.255.255')).toBe(0);
  });

  it('finds IPv6 ranges with 128-bit keys', () => {
    const idx = buildAsnIndexV6('42540578165168458964837862691227828224,42540578244396621479102200284771778559,6939,Hurricane Electric LLC\n');
    const k = ipKey('2001:470::1');
    expect(k?.family).toBe(6);
    expect(idx.find(k?.key ?? 0n)).toBe(6939);
    expect(idx.find(ipKey('2001:db8::1')?.key ?? 0n)).toBe(0);
  });

  it('unwraps NAT64 (64:ff9b::/96) and IPv4-mapped addresses to the IPv4 address', () => {
    expect(unwrapNat64('64:ff9b::5db8:d822')).toBe('93.184.216.34');
    expect(unwrapNat64('::ffff:93.184.216.34')).toBe('93.184.216.34');
    expect(unwrapNat64('2001:db8::1')).toBe('2001:db8::1');
    expect(unwrapNat64('93.184.216.34')).toBe('93.184.216.34');
    expect(unwrapNat64('not an ip')).toBe('not an ip');
    expect(ipKey('64:ff9b::5db8:d822')).toEqual({ family: 4, key: 1572395042 });
    expect(ipKey('nonsense')).toBeNull();
  });
});

describe('the @ip-location-db/asn database', () => {
  it('is loaded lazily, on the first lookup of each family, and answers real addresses', () => {
    expect(asnPackageDir()).not.toBeNull();
    const db = createAsnDatabase();
    expect(db.loaded()).toEqual({ v4: false, v6: false });
    expect(db.lookup('104.16.132.229')).toBe(13335);
    expect(db.loaded()).toEqual({ v4: true, v6: false });
    expect(db.lookup('8.8.8.8')).toBe(15169);
    expect(db.lookup('64:ff9b::808:808')).toBe(15169); // NAT64 of 8.8.8.8
    expect(db.loaded()).toEqual({ v4: true, v6: false });
    expect(db.lookup('2a00:1450:4001:80b::200e')).toBe(15169);
    expect(db.loaded()).toEqual({ v4: true, v6: true });
    expect(db.lookup('10.0.0.1')).toBe(0);
    expect(db.error()).toBeNull();
  });

  it('answers 0 and says why when the package directory is missing', () => {
    const db = createAsnDatabase('/nonexistent/asn');
    expect(db.lookup('8.8.8.8')).toBe(0);
    expect(db.error()).toBe('asn-ipv4-num.csv: ENOENT');
    expect(createAsnDatabase(null).error()).toBe('@ip-location-db/asn is not installed');
  });
});
