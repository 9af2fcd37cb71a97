import { describe, expect, it } from 'vitest';
import {
  COMMON_HEADERS,
  bodyLengthMatch,
  bodyProportion,
  compareHttpResponses,
  headersMatch,
  isHttpDiff,
  statusCodeMatch,
  titleDifferentLongWords,
  titleMatch,
  uncommonHeadersIntersection,
} from '../../../src/classify/http-diff.js';

describe('body proportion and body_length_match', () => {
  it('is min/max of the two lengths in either order', () => {
    expect(bodyProportion(188, false, 1533)).toBeCloseTo(188 / 1533);
    expect(bodyProportion(1533, false, 188)).toBeCloseTo(188 / 1533);
  });
  it('is null when the probe body is truncated, empty, or the control length is -1 or 0', () => {
    expect(bodyProportion(1533, true, 1533)).toBeNull();
    expect(bodyProportion(0, false, 1533)).toBeNull();
    expect(bodyProportion(1533, false, -1)).toBeNull();
    expect(bodyProportion(1533, false, 0)).toBeNull();
  });
  it('matches only strictly above 0.7', () => {
    expect(bodyLengthMatch(0.7)).toBe(false);
    expect(bodyLengthMatch(0.7000001)).toBe(true);
    expect(bodyLengthMatch(null)).toBeNull();
  });
});

describe('status_code_match (LTE rules)', () => {
  it('is true when the codes are equal, even when not 2xx', () => {
    expect(statusCodeMatch(404, 404)).toBe(true);
  });
  it('is false when they differ and the control is 2xx', () => {
    expect(statusCodeMatch(503, 200)).toBe(false);
  });
  it('is null when they differ and the control is not 2xx', () => {
    expect(statusCodeMatch(200, 503)).toBeNull();
    expect(statusCodeMatch(200, 404)).toBeNull();
  });
  it('is null when either code is <= 0', () => {
    expect(statusCodeMatch(0, 200)).toBeNull();
    expect(statusCodeMatch(200, -1)).toBeNull();
  });
});

describe('headers_match (LTE: intersection of uncommon header names)', () => {
  it('has the 25 common names', () => {
    expect(COMMON_HEADERS.size).toBe(25);
  });
  it('is true when an uncommon name is shared, case-insensitively', () => {
    expect(headersMatch(['Content-Length', 'Date'], ['content-length'])).toBe(true);
    expect(uncommonHeadersIntersection(['Alt-Svc', 'X-A'], ['ALT-SVC', 'X-B'])).toEqual(['alt-svc']);
  });
  it('is false when only common names are shared', () => {
    expect(headersMatch(['Date', 'Server', 'Content-Type'], ['Date', 'Server', 'Content-Type'])).toBe(false);
  });
  it('is false when both sides have no headers', () => {
    expect(headersMatch([], [])).toBe(false);
  });
});

describe('title_match (LTE: long words in only one title)', () => {
  it('is true when both titles are empty', () => {
    expect(titleMatch('', '')).toBe(true);
  });
  it('ignores words shorter than 5 bytes and compares lower-cased', () => {
    expect(titleMatch('The Default WEB Page', 'a default web page')).toBe(true);
  });
  it('measures words in UTF-8 bytes, not characters', () => {
    // 'città' is 5 characters but 6 bytes; 'ab€' is 3 characters but 5 bytes: both count.
    expect(titleDifferentLongWords('città', '')).toEqual(['città']);
    expect(titleDifferentLongWords('ab€', '')).toEqual(['ab€']);
    expect(titleDifferentLongWords('abcd', '')).toEqual([]);
  });
  it('splits on the ASCII space only', () => {
    expect(titleDifferentLongWords('Access\tDenied', 'Access Denied')).toEqual(['access', 'access\tdenied', 'denied']);
  });
  it('is false when a long word appears in only one title', () => {
    expect(titleMatch('Access Denied', 'Default Web Page')).toBe(false);
  });
});

describe('the http-diff decision', () => {
  it('is no diff when the status matches and any one of body, headers or title matches', () => {
    expect(isHttpDiff({ status_code_match: true, body_length_match: false, headers_match: false, title_match: true })).toBe(false);
    expect(isHttpDiff({ status_code_match: true, body_length_match: null, headers_match: true, title_match: null })).toBe(false);
  });
  it('is a diff when the status does not match or is unknown', () => {
    expect(isHttpDiff({ status_code_match: false, body_length_match: true, headers_match: true, title_match: true })).toBe(true);
    expect(isHttpDiff({ status_code_match: null, body_length_match: true, headers_match: true, title_match: true })).toBe(true);
  });
  it('is a diff when the status matches but nothing else does', () => {
    expect(isHttpDiff({ status_code_match: true, body_length_match: false, headers_match: false, title_match: false })).toBe(true);
  });
});

describe('compareHttpResponses', () => {
  const page = { status_code: 200, body_length: 1533, body_is_truncated: false, header_names: ['Content-Length', 'Date'], title: 'Default Web Page' };
  it('reports body_proportion 0 and null matches for headers and title when the control failed', () => {
    const m = compareHttpResponses(page, { status_code: -1, body_length: -1, body_is_truncated: false, header_names: [], title: '' });
    expect(m).toEqual({ body_proportion: 0, body_length_match: null, status_code_match: null, headers_match: null, title_match: null });
  });
  it('reports every key for two identical pages', () => {
    expect(compareHttpResponses(page, page)).toEqual({ body_proportion: 1, body_length_match: true, status_code_match: true, headers_match: true, title_match: true });
  });
});
