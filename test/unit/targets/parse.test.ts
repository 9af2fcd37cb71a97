import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CITIZEN_LAB_HEADER, csvHeaderWithoutUrl, formatTargetError, parseTargetList } from '../../../src/targets/parse.js';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../../fixtures/targets/${name}`, import.meta.url)), 'utf8');

describe('parseTargetList on a plain list (fixtures/targets/mixed.txt)', () => {
  const result = parseTargetList(fixture('mixed.txt'), 'mixed.txt');

  it('keeps the first occurrence of each normalised URL, in order, with FILE:LINE sources', () => {
    expect(result.targets).toEqual([
      { url: 'https://www.bbc.com/news', category_code: null, source: 'mixed.txt:3' },
      { url: 'https://meduza.io/', category_code: null, source: 'mixed.txt:4' },
      { url: 'https://www.dw.com/', category_code: null, source: 'mixed.txt:5' },
      { url: 'http://xn--r8jz45g.jp/path?q=1', category_code: null, source: 'mixed.txt:6' },
      { url: 'https://x.com/', category_code: null, source: 'mixed.txt:9' },
      { url: 'https://www.youtube.com/', category_code: null, source: 'mixed.txt:11' },
      { url: 'https://signal.org/', category_code: null, source: 'mixed.txt:17' },
      { url: 'http://localhost:8080/status', category_code: null, source: 'mixed.txt:18' },
    ]);
  });

  it('reports the three bad lines as FILE:LINE: reason', () => {
    expect(result.errors.map(formatTargetError)).toEqual([
      "mixed.txt:14: unsupported scheme 'ftp:' (only http and https)",
      'mixed.txt:15: missing scheme (write http://example.com/ or https://example.com/)',
      'mixed.txt:16: missing host',
    ]);
  });
});

describe('parseTargetList on a Citizen Lab CSV (fixtures/targets/citizenlab-100.csv)', () => {
  const text = fixture('citizenlab-100.csv');
  const result = parseTargetList(text, 'citizenlab-100.csv');

  it('detects the CSV by its header and returns all 100 rows without errors', () => {
    expect(text.split('\n', 1)[0]).toBe(CITIZEN_LAB_HEADER);
    expect(result.errors).toEqual([]);
    expect(result.targets).toHaveLength(100);
  });

  it('keeps the url column, in file order, with the row line as source', () => {
    const urls = text.trim().split('\n').slice(1).map((line) => line.split(',')[0]);
    expect(result.targets.map((t) => t.url)).toEqual(urls);
    expect(result.targets.map((t) => t.source)).toEqual(urls.map((_, i) => `citizenlab-100.csv:${i + 2}`));
    expect(result.targets[0]).toEqual({ url: 'https://www.bbc.com/news', category_code: 'NEWS', source: 'citizenlab-100.csv:2' });
    expect(result.targets[41]).toEqual({ url: 'https://riseup.net/', category_code: 'ANON', source: 'citizenlab-100.csv:43' });
    expect(result.targets[99]).toEqual({ url: 'https://www.kanal13.tv/', category_code: 'NEWS', source: 'citizenlab-100.csv:101' });
  });

  it('keeps category_code for every row (quoted commas in notes do not shift columns)', () => {
    const histogram: Record<string, number> = {};
    for (const t of result.targets) histogram[t.category_code ?? 'null'] = (histogram[t.category_code ?? 'null'] ?? 0) + 1;
    expect(histogram).toEqual({
      NEWS: 22, HUMR: 10, GRP: 10, ANON: 10, COMT: 8, MMED: 5, HOST: 5, CTRL: 4, SRCH: 3, POLR: 3,
      LGBT: 3, IGO: 3, FILE: 3, XED: 2, REL: 2, PUBH: 2, ENV: 2, CULTR: 2, GOVT: 1,
    });
  });
});

describe('parseTargetList on a malformed Citizen Lab CSV (fixtures/targets/citizenlab-bad.csv, CRLF)', () => {
  const result = parseTargetList(fixture('citizenlab-bad.csv'), 'citizenlab-bad.csv');

  it('keeps the good rows, including one whose quoted note spans two lines', () => {
    expect(result.targets).toEqual([
      { url: 'https://www.bbc.com/news', category_code: 'NEWS', source: 'citizenlab-bad.csv:2' },
      { url: 'https://www.torproject.org/', category_code: 'ANON', source: 'citizenlab-bad.csv:7' },
      { url: 'https://cpj.org/', category_code: 'HUMR', source: 'citizenlab-bad.csv:10' },
      { url: 'https://psiphon.ca/', category_code: null, source: 'citizenlab-bad.csv:13' },
    ]);
  });

  it('reports wrong column counts, bad URLs and broken quoting per row, in file order', () => {
    expect(result.errors.map(formatTargetError)).toEqual([
      'citizenlab-bad.csv:3: expected 6 columns, got 4',
      "citizenlab-bad.csv:4: unsupported scheme 'ftp:' (only http and https)",
      'citizenlab-bad.csv:6: expected 6 columns, got 7',
      'citizenlab-bad.csv:8: malformed CSV row: stray quote in a quoted field (write a quote inside quotes as "")',
      'citizenlab-bad.csv:9: missing scheme (write http://example.com/ or https://example.com/)',
      'citizenlab-bad.csv:14: missing host',
    ]);
  });
});

describe('parseTargetList format details', () => {
  it('accepts a UTF-8 BOM before the Citizen Lab header', () => {
    const result = parseTargetList(`\uFEFF${CITIZEN_LAB_HEADER}\nhttps://a.example/,NEWS,News Media,2020-01-01,x,\n`, 'bom.csv');
    expect(result).toEqual({ targets: [{ url: 'https://a.example/', category_code: 'NEWS', source: 'bom.csv:2' }], errors: [] });
  });

  it.each([
    ['2015 Citizen Lab header', 'url,category_code,category_description\nhttps://a.example/,NEWS,News Media\nhttp://b.example,,\n'],
    ['url and category only', 'url,category_code\nhttps://a.example/,NEWS\nhttp://b.example,\n'],
    ['any order, any case, quoted names, CRLF', '"Category_Code",notes,URL\r\nNEWS,"a, b",https://a.example/\r\n,,http://b.example\r\n'],
  ])('reads a CSV with any header that has a url column (%s)', (_name, text) => {
    const result = parseTargetList(text, 'l.csv');
    expect(result.errors).toEqual([]);
    expect(result.targets).toEqual([
      { url: 'https://a.example/', category_code: 'NEWS', source: 'l.csv:2' },
      { url: 'http://b.example/', category_code: null, source: 'l.csv:3' },
    ]);
  });

  it('a header without category_code keeps the url column; a row of another width is an error for that row', () => {
    const result = parseTargetList('site_name,url\nA,https://a.example/\nB,https://b.example/,extra\n', 'l.csv');
    expect(result.targets.map((t) => [t.url, t.category_code])).toEqual([['https://a.example/', null]]);
    expect(result.errors.map(formatTargetError)).toEqual(['l.csv:3: expected 2 columns, got 3']);
  });

  it('rejects a url header it cannot read (an empty column name) instead of guessing columns', () => {
    const result = parseTargetList('url,,category\nhttps://a.example/,x,NEWS\n', 'other.csv');
    expect(result.targets).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ source: 'other.csv', line: 1 });
    expect(result.errors[0]!.reason).toContain(CITIZEN_LAB_HEADER);
  });

  it('refuses a CSV whose header names no url column as a whole, in one line (not a plain list of "missing scheme" errors)', () => {
    for (const text of ['name,category_code\nhttps://a.example/,NEWS\n', '\uFEFF"name", "category_code"\r\nhttps://a.example/,NEWS\r\n']) {
      const result = parseTargetList(text, 'sites.csv');
      expect(result.targets).toEqual([]);
      expect(result.errors.map(formatTargetError)).toEqual(['sites.csv: a CSV header without a url column (columns: name, category_code)']);
    }
    expect(csvHeaderWithoutUrl('a,b,c,d,e,f,g,h,i,j,k,l,m')).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', '…']);
  });

  it('a first line with a comma is a header only without a URL scheme and outside a comment; a url column anywhere with an odd name is unrecognised', () => {
    expect(csvHeaderWithoutUrl('https://a.example/?q=a,b')).toBeNull();
    expect(csvHeaderWithoutUrl('# sites, by category')).toBeNull();
    expect(csvHeaderWithoutUrl('https://a.example/')).toBeNull();
    expect(csvHeaderWithoutUrl('name,URL')).toBeNull();
    expect(parseTargetList('# news, blogs\nhttps://a.example/\n', 'l.txt')).toEqual({ targets: [{ url: 'https://a.example/', category_code: null, source: 'l.txt:2' }], errors: [] });
    const odd = parseTargetList('name,url,notes!\nA,https://a.example/,x\n', 'odd.csv');
    expect(odd.targets).toEqual([]);
    expect(odd.errors).toEqual([expect.objectContaining({ source: 'odd.csv', line: 1 })]);
  });

  it('treats # after whitespace as a comment but # inside a URL as a fragment', () => {
    const result = parseTargetList('https://a.example/#top\nhttps://b.example/ #note\nhttps://c.example/\t# tab note\r\n', 'l.txt');
    expect(result.targets.map((t) => t.url)).toEqual(['https://a.example/', 'https://b.example/', 'https://c.example/']);
    expect(result.errors).toEqual([]);
  });

  it('returns nothing for an empty or comment-only list', () => {
    expect(parseTargetList('', 'e.txt')).toEqual({ targets: [], errors: [] });
    expect(parseTargetList('# only\n\n   # comments\n', 'c.txt')).toEqual({ targets: [], errors: [] });
  });

  it('formats a whole-source error (line 0) without a line number', () => {
    expect(formatTargetError({ source: 'list.txt', line: 0, reason: 'cannot read (ENOENT)' })).toBe('list.txt: cannot read (ENOENT)');
  });
});
