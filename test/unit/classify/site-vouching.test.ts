/** Which verified HTTPS responses vouch for the measured site (src/classify/site-vouching.ts). */
import { describe, expect, it } from 'vitest';
import type { Observations } from '../../../src/model/index.js';
import { sameSite, vouchesForSite } from '../../../src/classify/site-vouching.js';

describe('sameSite (registrable domains, public suffix list)', () => {
  it.each([
    ['www.cnn.com', 'edition.cnn.com', true],
    ['example.com', 'WWW.Example.com.', true],
    ['www.bbc.co.uk', 'news.bbc.co.uk', true],
    ['a.github.io', 'b.github.io', false],
    ['casino.example.com', 'blocked.gov.example', false],
    ['twitter.com', 'x.com', false],
    ['1.2.3.4', '1.2.3.4', true],
    ['1.2.3.4', '1.2.3.5', false],
  ])('%s and %s: %s', (a, b, same) => {
    expect(sameSite(a, b)).toBe(same);
  });
});

/** A chain of answered requests (url per depth), each over a verified handshake when `verified`. */
function chain(urls: string[], verified: boolean[]): Observations {
  return {
    requests: urls.map((url, depth) => ({ depth, transaction_id: depth + 1, request: { url }, response: { code: depth < urls.length - 1 ? 302 : 200 } })),
    tls_handshakes: urls.map((_url, depth) => ({ transaction_id: depth + 1, failure: verified[depth] ? null : 'ssl_unknown_authority', no_tls_verify: false })),
  } as unknown as Observations;
}

describe('vouchesForSite', () => {
  it('the site, its registrable domain, the control\'s same hop, or a redirect sent over the site\'s own verified TLS', () => {
    const viaHttp = chain(['http://casino.example.com/', 'https://blocked.gov.example/'], [false, true]);
    expect(vouchesForSite(viaHttp, 'http://casino.example.com/', 1, 'blocked.gov.example', false)).toBe(false);
    expect(vouchesForSite(viaHttp, 'http://casino.example.com/', 1, 'blocked.gov.example', true)).toBe(true);
    const www = chain(['http://casino.example.com/', 'https://www.casino.example.com/'], [false, true]);
    expect(vouchesForSite(www, 'http://casino.example.com/', 1, 'www.casino.example.com', false)).toBe(true);
    const viaHttps = chain(['https://twitter.com/', 'https://x.com/', 'https://www.x.com/'], [true, true, true]);
    expect(vouchesForSite(viaHttps, 'https://twitter.com/', 2, 'www.x.com', false)).toBe(true);
    const broken = chain(['https://twitter.com/', 'https://x.com/'], [false, true]);
    expect(vouchesForSite(broken, 'https://twitter.com/', 1, 'x.com', false)).toBe(false);
  });
});
