import { describe, expect, it } from 'vitest';
import { normalizeUrl } from '../../../src/targets/normalize.js';

describe('normalizeUrl', () => {
  it.each([
    ['https://example.com', 'https://example.com/'],
    ['  https://example.com/path  ', 'https://example.com/path'],
    ['HTTP://Example.COM/A/b?Q=1', 'http://example.com/A/b?Q=1'],
    ['http://例え.jp/', 'http://xn--r8jz45g.jp/'],
    ['https://www.example.org/page#section', 'https://www.example.org/page'],
    ['https://www.example.org/#', 'https://www.example.org/'],
    ['http://example.com:80/', 'http://example.com/'],
    ['https://example.com:443/', 'https://example.com/'],
    ['http://example.com:443/', 'http://example.com:443/'],
    ['https://example.com:8443/x', 'https://example.com:8443/x'],
    ['http://example.com?x=1', 'http://example.com/?x=1'],
    ['https://[2001:DB8::1]:8443/', 'https://[2001:db8::1]:8443/'],
    ['http://192.0.2.1/', 'http://192.0.2.1/'],
  ])('accepts %s as %s', (raw, url) => {
    expect(normalizeUrl(raw)).toEqual({ ok: true, url });
  });

  it.each([
    ['', 'empty URL'],
    ['   ', 'empty URL'],
    ['ftp://files.example.org/', "unsupported scheme 'ftp:' (only http and https)"],
    ['mailto:someone@example.org', "unsupported scheme 'mailto:' (only http and https)"],
    ['javascript:alert(1)', "unsupported scheme 'javascript:' (only http and https)"],
    ['example.com', 'missing scheme (write http://example.com/ or https://example.com/)'],
    ['example.com/path', 'missing scheme (write http://example.com/ or https://example.com/)'],
    ['example.com:8080/path', 'missing scheme (write http://example.com/ or https://example.com/)'],
    ['localhost:80', 'missing scheme (write http://example.com/ or https://example.com/)'],
    ['//example.com/', 'missing scheme (write http://example.com/ or https://example.com/)'],
    ['http://', 'missing host'],
    ['https:///path', 'missing host'],
    ['http:example.com', "malformed URL: expected '//' after 'http:'"],
    ['http://exa mple.com/', "invalid URL (bad host or port in 'exa mple.com')"],
    ['http://example.com:99999/', "invalid URL (bad host or port in 'example.com:99999')"],
  ])('rejects %j with the reason %j', (raw, reason) => {
    expect(normalizeUrl(raw)).toEqual({ ok: false, reason });
  });

  it.each(['http://user:secret@example.com/', 'https://user@example.com/', 'http://@example.com/', 'http://:@example.com/'])(
    'rejects credentials in %s so that they never reach the report',
    (raw) => {
      const result = normalizeUrl(raw);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/^credentials in the URL/);
    },
  );

  it('is idempotent: a normalised URL normalises to itself', () => {
    for (const raw of ['http://例え.jp/a?b#c', 'HTTPS://WWW.DW.COM', 'http://example.com:8080']) {
      const first = normalizeUrl(raw);
      expect(first.ok).toBe(true);
      if (first.ok) expect(normalizeUrl(first.url)).toEqual(first);
    }
  });
});

describe('normalizeUrl limits', () => {
  it('rejects a URL longer than 8192 characters with its length', () => {
    const r = normalizeUrl(`https://example.org/${'a'.repeat(9000)}`);
    expect(r).toEqual({ ok: false, reason: 'URL longer than 8192 characters (9020)' });
  });
});
