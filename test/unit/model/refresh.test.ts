/**
 * The refresh parser shared by the flow and the classifier (src/model/refresh.ts): the HTML
 * standard's "shared declarative refresh steps", value by value.
 */
import { describe, expect, it } from 'vitest';
import { metaRefreshContent, parseRefresh, refreshOf, refreshUrlText, sameDocument } from '../../../src/model/refresh.js';

describe('refreshUrlText (HTML shared declarative refresh steps)', () => {
  it.each([
    ['0; url=http://a.example/x', 'http://a.example/x'],
    ['0;URL=http://a.example/x', 'http://a.example/x'],
    ['0, http://a.example/x', 'http://a.example/x'],
    ['0 http://a.example/x', 'http://a.example/x'],
    ['  5 ;  url = "http://a.example/x"  ', 'http://a.example/x'],
    ["0; url='http://a.example/x'", 'http://a.example/x'],
    ['.5; url=/x', '/x'],
    ['1.5.2, /x', '/x'],
    // An opening quote without its closing one runs to the end of the value.
    ["0; url='http://a.example/x", 'http://a.example/x'],
    // A quote without an opening one is part of the URL.
    ['0;URL=http://a.example/x"', 'http://a.example/x"'],
    ["0;url=http://a.example/x?u=casino's", "http://a.example/x?u=casino's"],
    // Text after the closing quote is dropped.
    ['0; url="/x" trailing', '/x'],
    // `u` not followed by `rl=`: the remainder is the URL as it is (no quote skipping).
    ['0; uri=/x', 'uri=/x'],
    ['0; /next', '/next'],
  ])('%j names %j', (value, url) => {
    expect(refreshUrlText(value)).toBe(url);
  });

  it.each([['0'], ['30'], ['5;'], ['  10.5  '], ['url=/x'], ['x; url=/x'], ['0x; url=/x'], ['0; url='], ['0; url=""'], ['']])('%j names no URL', (value) => {
    expect(refreshUrlText(value)).toBeNull();
  });
});

describe('metaRefreshContent', () => {
  it('reads the first meta refresh, attributes in any order and case, entities decoded, not data-content', () => {
    expect(metaRefreshContent('<META CONTENT="0; url=/a" HTTP-EQUIV="Refresh">')).toBe('0; url=/a');
    expect(metaRefreshContent('<meta http-equiv=refresh data-content="9; url=/wrong" content="0; url=/right">')).toBe('0; url=/right');
    expect(metaRefreshContent('<meta http-equiv="refresh" content="0; url=&quot;/a?x=1&amp;y=2&quot;">')).toBe('0; url="/a?x=1&y=2"');
    expect(metaRefreshContent('<meta name="refresh" content="0; url=/a">')).toBeNull();
  });
});

describe('sameDocument', () => {
  it('compares URLs as a browser does: parsed, fragments aside', () => {
    expect(sameDocument('http://casino.example.com', 'http://casino.example.com/')).toBe(true);
    expect(sameDocument('http://CASINO.example.com:80/a#top', 'http://casino.example.com/a')).toBe(true);
    expect(sameDocument('https://a.example/', 'http://a.example/')).toBe(false);
    expect(sameDocument('http://a.example/a', 'http://a.example/a?x')).toBe(false);
  });
});

describe('parseRefresh and refreshOf (as a browser acts on a response)', () => {
  it('tells a value that declares nothing from a reload', () => {
    expect(parseRefresh('0x')).toEqual({ kind: 'none' });
    expect(parseRefresh('0: url=/x')).toEqual({ kind: 'none' });
    expect(parseRefresh('5')).toEqual({ kind: 'reload', delaySeconds: 5 });
    expect(parseRefresh('0; url=\u00a0/x')).toEqual({ kind: 'url', delaySeconds: 0, url: '\u00a0/x' });
  });
  it('skips empty and invalid meta refreshes, tags in comments and scripts; decodes character references', () => {
    expect(metaRefreshContent('<meta http-equiv="refresh" content=""><meta http-equiv="refresh" content="0;url=/b">')).toBe('0;url=/b');
    expect(metaRefreshContent('<meta http-equiv="refresh" content="abc"><meta http-equiv="refresh" content="0;url=/b">')).toBe('0;url=/b');
    expect(metaRefreshContent('<!-- <meta http-equiv="refresh" content="0;url=/old"> -->')).toBeNull();
    expect(metaRefreshContent('<script>var s = \'<meta http-equiv="refresh" content="0;url=/x">\';</script>')).toBeNull();
    expect(metaRefreshContent('<meta http-equiv="refresh" content="0;url=http&#58;&#x2F;&#47;a.example&sol;x&#35;a">')).toBe('0;url=http://a.example/x#a');
  });
  it('a valid Refresh header wins over the meta; a meta counts in HTML bodies only', () => {
    const meta = '<meta http-equiv="refresh" content="0;url=/blocked">';
    expect(refreshOf('600', 'text/html', meta)).toEqual({ kind: 'refresh_header', delaySeconds: 600, target: null });
    expect(refreshOf('nonsense', 'text/html', meta)).toEqual({ kind: 'meta_refresh', delaySeconds: 0, target: '/blocked' });
    expect(refreshOf(null, null, meta)).toEqual({ kind: 'meta_refresh', delaySeconds: 0, target: '/blocked' });
    expect(refreshOf(null, 'text/plain', meta)).toBeNull();
  });
});

describe('metaRefreshContent on awkward markup', () => {
  it('reads unquoted values with `=` inside, noscript (the probe runs no scripts), custom elements named like raw-text ones', () => {
    expect(metaRefreshContent('<meta http-equiv=refresh content=0;url=http://block.example/>')).toBe('0;url=http://block.example/');
    expect(metaRefreshContent('<script>location="/x"</script><noscript><meta http-equiv=refresh content="0;url=/x"></noscript>')).toBe('0;url=/x');
    expect(metaRefreshContent('<style-x></style-x><meta http-equiv=refresh content="0;url=/b">')).toBe('0;url=/b');
  });
  it('stays fast on a hostile body of tags that never close', () => {
    const t0 = Date.now();
    expect(metaRefreshContent('<meta http-equiv'.repeat(4096))).toBeNull();
    expect(Date.now() - t0).toBeLessThan(5000); // generous: about 1 ms; quadratic was seconds
  });
});
