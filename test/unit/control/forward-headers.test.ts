/** The headers the helper forwards to the origin (src/control/forward-headers.ts). */
import { describe, expect, it } from 'vitest';
import { forwardableHeaders, MAX_FORWARDED_HEADERS } from '../../../src/control/forward-headers.js';
import { parseThRequest } from '../../../src/control/helper-server.js';

describe('forwardableHeaders', () => {
  it('keeps the first value of valid headers, drops hop-by-hop, Host, Cookie and malformed ones', () => {
    expect(
      forwardableHeaders({
        'Accept-Language': ['fa-IR', 'en'],
        'User-Agent': ['ua'],
        Connection: ['close'],
        'Keep-Alive': ['x'],
        'Transfer-Encoding': ['chunked'],
        Host: ['evil.example'],
        Cookie: ['a=1'],
        'Proxy-Authorization': ['x'],
        'Bad Name': ['x'],
        'X-Injected': ['a\r\nB: c'],
        'X-Long': ['x'.repeat(2000)],
        'X-Number': [1],
      }),
    ).toEqual({ 'Accept-Language': 'fa-IR', 'User-Agent': 'ua' });
  });
  it('bounds the number of headers and ignores non-objects', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`X-H${i}`, ['v']]));
    expect(Object.keys(forwardableHeaders(many))).toHaveLength(MAX_FORWARDED_HEADERS);
    expect(forwardableHeaders(null)).toEqual({});
    expect(forwardableHeaders(['x'])).toEqual({});
    expect(forwardableHeaders('x')).toEqual({});
  });
  it('the helper request parser keeps only forwardable headers', () => {
    const r = parseThRequest(JSON.stringify({ http_request: 'http://x.example/', http_request_headers: { Accept: ['text/html'], Connection: ['close'] }, tcp_connect: [] }));
    expect(typeof r).toBe('object');
    if (typeof r === 'object') expect(r.http_request_headers).toEqual({ Accept: ['text/html'] });
  });
});
