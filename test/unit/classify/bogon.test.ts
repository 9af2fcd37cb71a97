import { describe, expect, it } from 'vitest';
import { isBogon, isLoopback } from '../../../src/classify/bogon.js';

describe('isBogon', () => {
  it.each([
    '0.1.2.3', '10.10.34.35', '100.64.0.1', '127.0.0.1', '127.0.53.53', '169.254.1.1', '172.16.0.1', '172.31.255.255',
    '192.0.0.8', '192.0.2.1', '192.168.1.1', '198.18.0.1', '198.19.255.255', '198.51.100.7', '203.0.113.9',
    '224.0.0.251', '239.255.255.250', '240.0.0.1', '255.255.255.255',
  ])('flags the IPv4 bogon %s', (ip) => {
    expect(isBogon(ip)).toBe(true);
  });

  it.each([
    '::', '::1', '::ffff:8.8.8.8', '::1.2.3.4', '100::1', '2001:10::1', '2001:db8::1', 'fc00::1', 'fd12:3456::1',
    'fe80::1', 'fec0::1', 'ff02::1', 'ff0e::1',
    '2002:a00::1', '2002:7f00:1::', '2002:c0a8:101::1', '2002:e000::1',
    '2001:0:a00::1', '2001:0:7f00::1', '2001:0:c0a8:101::1',
  ])('flags the IPv6 bogon %s (including 6to4 and Teredo forms of IPv4 bogons)', (ip) => {
    expect(isBogon(ip)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:2800:220:1::1', '2a00:1450:4002:414::200e', '2002:5db8:d822::1'])(
    'does not flag the public address %s',
    (ip) => {
      expect(isBogon(ip)).toBe(false);
    },
  );

  it.each(['', 'example.com', '1.2.3', '256.1.1.1', '0x7f.0.0.1', 'fe80::1%eth0', '[::1]'])('counts the non-IP %j as a bogon', (s) => {
    expect(isBogon(s)).toBe(true);
  });
});

describe('isLoopback', () => {
  it('is true for 127.0.0.0/8, its IPv4-mapped form and ::1', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.255.0.9')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
  });
  it('is false for other addresses, private ones included', () => {
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(isLoopback('93.184.216.34')).toBe(false);
    expect(isLoopback('fe80::1')).toBe(false);
  });
  it('is true for strings that are not IP addresses, as in OONI', () => {
    expect(isLoopback('localhost')).toBe(true);
  });
});
