/**
 * The IP predicates (src/model/ip.ts): OONI's bogon list, 0.0.0.0/8 and `::`, loopback, and the
 * IPv6 forms that embed an IPv4 address (NAT64, 6to4, Teredo) checked like IPv4.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { embeddedIpv4, isBogon, isIpLiteral, isLoopback, isUnspecified, knownSinkhole, neverDial, parseIp, clientKey } from '../../../src/model/ip.js';
import * as classifyBogon from '../../../src/classify/bogon.js';

describe('isBogon', () => {
  it.each([
    '0.0.0.0', '0.1.2.3', '10.10.34.35', '127.0.0.1', '127.0.53.53', '169.254.1.1', '172.16.0.1', '192.168.1.1',
    '100.64.0.1', '192.0.2.1', '198.51.100.7', '203.0.113.9', '224.0.0.1', '240.0.0.1', '255.255.255.255',
    '::', '::1', '::ffff:127.0.0.1', '::ffff:8.8.8.8', 'fc00::1', 'fe80::1', 'ff02::1', '2001:db8::1',
    '64:ff9b::7f00:1', '64:ff9b::a00:1', '64:ff9b::', '64:ff9b:1:7f00:0:100::', '2002:7f00:1::', '2002:c0a8:101::1', '2002::',
    '2001:0:a00:1::', '2001:0:7f00:1::1',
    'not-an-ip', '', '1.2.3', '01.2.3.4', 'fe80::1%eth0',
  ])('%s is a bogon', (ip) => {
    expect(isBogon(ip)).toBe(true);
    expect(neverDial(ip)).toBe('bogon');
  });
  it.each(['93.184.216.34', '8.8.8.8', '2606:2800:220:1::248', '64:ff9b::5db8:d822', '64:ff9b:1:5db8:d8:2200::', '2002:5db8:d822::1', '2001:0:5db8:d822::1', '2a00:1450::1'])(
    '%s is not a bogon',
    (ip) => {
      expect(isBogon(ip)).toBe(false);
      expect(neverDial(ip)).toBeNull();
    },
  );
  it('classify/bogon re-exports the same predicates', () => {
    expect(classifyBogon.isBogon).toBe(isBogon);
    expect(classifyBogon.isLoopback).toBe(isLoopback);
  });
  it('a 6to4, Teredo or NAT64 address is a bogon exactly when its embedded IPv4 address is', () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    fc.assert(
      fc.property(v4, ([a, b, c, d]) => {
        const ip4 = `${a}.${b}.${c}.${d}`;
        const hex = (x: number, y: number): string => ((x << 8) | y).toString(16);
        for (const v6 of [`2002:${hex(a, b)}:${hex(c, d)}::1`, `2001:0:${hex(a, b)}:${hex(c, d)}::1`, `64:ff9b::${hex(a, b)}:${hex(c, d)}`]) {
          if (isBogon(v6) !== isBogon(ip4)) return false;
        }
        return true;
      }),
    );
  });
});

describe('isLoopback and the rest', () => {
  it('loopback in every form, and non-IPs fail closed', () => {
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::', 'x']) expect(isLoopback(ip), ip).toBe(true);
    for (const ip of ['10.0.0.1', '0.0.0.0', '::', '93.184.216.34', '64:ff9b::808:808']) expect(isLoopback(ip), ip).toBe(false);
  });
  it('unspecified: 0.0.0.0/8 and ::', () => {
    expect(isUnspecified('0.0.0.0')).toBe(true);
    expect(isUnspecified('0.9.9.9')).toBe(true);
    expect(isUnspecified('::')).toBe(true);
    expect(isUnspecified('::ffff:0.0.0.0')).toBe(true);
    expect(isUnspecified('127.0.0.1')).toBe(false);
  });
  it('embedded IPv4 of NAT64 (both prefixes), 6to4, Teredo', () => {
    const e = (s: string): string | undefined => embeddedIpv4(parseIp(s)!)?.toString();
    expect(e('64:ff9b::5db8:d822')).toBe('93.184.216.34');
    expect(e('64:ff9b:1:5db8:d8:2200::')).toBe('93.184.216.34');
    expect(e('2002:5db8:d822::1')).toBe('93.184.216.34');
    expect(e('2001:0:5db8:d822::1')).toBe('93.184.216.34');
    expect(e('2a00::1')).toBeUndefined();
  });
  it('known sinkholes, literals', () => {
    expect(knownSinkhole('10.10.34.35')).toMatch(/Iran/);
    expect(knownSinkhole('0:0::0')).not.toBeNull();
    expect(knownSinkhole('93.184.216.34')).toBeNull();
    expect(isIpLiteral('[::1]')).toBe(true);
    expect(isIpLiteral('1.2.3.4')).toBe(true);
    expect(isIpLiteral('example.com')).toBe(false);
  });
});

describe('clientKey', () => {
  it('counts an IPv4 client by its address and an IPv6 client by its /64', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe(clientKey('2001:db8:1:2::1'));
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
    expect(clientKey('not an address')).toBe('not an address');
  });
});
