import { describe, expect, it } from 'vitest';
import { TextEncoder } from 'node:util';
import { bodyEncoding, charsetFromContentType, charsetFromMeta, contentTypeOf, decodeBody } from '../../../src/model/charset.js';

// Bytes of "Доступ ограничен" ("access restricted") in windows-1251 and koi8-r, written out so the test does not need an encoder.
const CP1251 = Buffer.from([0xc4, 0xee, 0xf1, 0xf2, 0xf3, 0xef, 0x20, 0xee, 0xe3, 0xf0, 0xe0, 0xed, 0xe8, 0xf7, 0xe5, 0xed]);
const KOI8R = Buffer.from([0xe4, 0xcf, 0xd3, 0xd4, 0xd5, 0xd0, 0x20, 0xcf, 0xc7, 0xd2, 0xc1, 0xce, 0xc9, 0xde, 0xc5, 0xce]);
const TEXT = 'Доступ ограничен';

describe('charset-aware body decoding', () => {
  it('reads the charset of Content-Type, quoted or not', () => {
    expect(charsetFromContentType('text/html; charset=windows-1251')).toBe('windows-1251');
    expect(charsetFromContentType('text/html;charset="KOI8-R"')).toBe('KOI8-R');
    expect(charsetFromContentType('text/html')).toBeNull();
    expect(charsetFromContentType(undefined)).toBeNull();
  });

  it('decodes windows-1251 and koi8-r pages in their declared charset (header or <meta>)', () => {
    expect(decodeBody(CP1251, 'text/html; charset=windows-1251')).toBe(TEXT);
    expect(decodeBody(Buffer.concat([Buffer.from('<meta charset="koi8-r"><title>'), KOI8R]), null)).toBe(`<meta charset="koi8-r"><title>${TEXT}`);
    const httpEquiv = Buffer.concat([Buffer.from('<meta http-equiv="Content-Type" content="text/html; charset=cp1251">'), CP1251]);
    expect(charsetFromMeta(httpEquiv)).toBe('cp1251');
    expect(bodyEncoding(httpEquiv)).toBe('windows-1251');
    expect(decodeBody(httpEquiv).endsWith(TEXT)).toBe(true);
    // Without a declaration the bytes are not UTF-8: replacement characters, as before.
    expect(decodeBody(CP1251)).toContain('\ufffd');
  });

  it('decodes gbk and shift_jis; a BOM wins; an unknown label falls back to UTF-8', () => {
    expect(decodeBody(Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), 'text/html; charset=gbk')).toBe('中文');
    expect(decodeBody(Buffer.from([0x93, 0xfa, 0x96, 0x7b]), 'text/html; charset=Shift_JIS')).toBe('日本');
    expect(decodeBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(new TextEncoder().encode('é'))]), 'text/html; charset=windows-1251')).toBe('é');
    expect(decodeBody(Buffer.from('héllo'), 'text/html; charset=no-such-charset')).toBe('héllo');
  });

  it('finds Content-Type in a header map or list whatever its case', () => {
    expect(contentTypeOf([['content-type', 'text/html; charset=gbk']])).toBe('text/html; charset=gbk');
    expect(contentTypeOf({ 'Content-Type': 'text/plain' })).toBe('text/plain');
    expect(contentTypeOf(null)).toBeNull();
  });
});
