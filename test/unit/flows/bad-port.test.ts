/**
 * Port 0 parses as a URL but cannot be dialed: the flow records a failed connect instead of throwing
 * (a redirect there, injected or broken, must not end a run). No traffic: it fails before dialing.
 */
import { describe, expect, it } from 'vitest';
import { measureUrl } from '../../../src/flows/index.js';
import { parseThRequest } from '../../../src/control/helper-server.js';
import { parseBaseline } from '../../../src/outage/index.js';
import { createClock } from '../../../src/net/index.js';

describe('port 0', () => {
  it('is a failed connect in the flow, not an exception', async () => {
    const m = await measureUrl('http://192.0.2.1:0/', {
      resolver: { kind: 'system' }, clock: createClock(), timeouts: { dnsMs: 100, connectMs: 100, tlsMs: 100, httpMs: 100 }, maxBodyBytes: 1024, maxRedirects: 1,
    });
    expect(m.hops[0]).toMatchObject({ failure: 'unknown_failure: invalid port 0', failed_operation: 'connect' });
  });
  it('is refused in a helper request and in a baseline spec, with a reason', () => {
    expect(parseThRequest(JSON.stringify({ http_request: 'http://x.org/', tcp_connect: ['192.0.2.1:0'] }))).toBe("tcp_connect entry '192.0.2.1:0' is not a valid ip:port");
    expect(() => parseBaseline('tcp://192.0.2.1:0')).toThrow("baseline 'tcp://192.0.2.1:0': port 0 is out of range (1-65535)");
  });
});

describe('harmlessNameFor', () => {
  it('never picks the target itself or a parent of it', async () => {
    const { harmlessNameFor } = await import('../../../src/flows/index.js');
    expect(harmlessNameFor('www.bbc.com')).toBe('example.org');
    expect(harmlessNameFor('example.org')).toBe('example.com');
    expect(harmlessNameFor('www.example.org')).toBe('example.com');
    expect(harmlessNameFor('a.example.com', 'example.com')).toBe('example.org');

  });
});

describe('parseEndpoint', () => {
  it('splits IPv4 and bracketed IPv6 endpoints and rejects anything else', async () => {
    const { parseEndpoint } = await import('../../../src/net/index.js');
    expect(parseEndpoint('93.184.216.34:443')).toEqual({ ip: '93.184.216.34', port: 443 });
    expect(parseEndpoint('[2001:db8::1]:80')).toEqual({ ip: '2001:db8::1', port: 80 });
    for (const bad of ['93.184.216.34:0', '93.184.216.34:70000', 'example.org:443', '2001:db8::1:80', '1.2.3:443']) expect(parseEndpoint(bad), bad).toBeNull();
  });
});
