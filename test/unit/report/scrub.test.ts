import { describe, expect, it } from 'vitest';
import { scrubRecord } from '../../../src/report/scrub.js';
import { fullRecord, PROBE_IPV4, PROBE_IPV6 } from './helpers/full-record.js';

describe('scrubRecord', () => {
  it('replaces the probe IPv4 address in every string and returns a new object', () => {
    const record = fullRecord();
    const before = JSON.stringify(record);
    const scrubbed = scrubRecord(record, [PROBE_IPV4]);
    expect(JSON.stringify(record)).toBe(before); // input untouched
    expect(scrubbed).not.toBe(record);
    const text = JSON.stringify(scrubbed);
    expect(text.replaceAll('203.0.113.70', '')).not.toContain(PROBE_IPV4); // only the longer address remains
    const request = scrubbed.observations.requests[0];
    expect(request?.request.headers['X-Forwarded-For']).toBe('[scrubbed]');
    expect(request?.request.headers_list[2]).toEqual(['X-Forwarded-For', '[scrubbed]']);
    expect(request?.response?.headers['X-Client-IP']).toBe('[scrubbed]');
    expect(request?.response?.body).toBe(
      '<html><head><title>Example</title></head><body>Your address is [scrubbed]; the proxy is 203.0.113.70.</body></html>',
    );
  });

  it('does not rewrite a longer address that merely contains the probe address', () => {
    const record = fullRecord();
    record.observations.queries[0]!.answers[1]!.ipv4 = '1.2.3.45';
    record.observations.tcp_connect[0]!.ip = '11.2.3.4';
    const scrubbed = scrubRecord(record, ['1.2.3.4']);
    expect(scrubbed.observations.queries[0]?.answers[1]?.ipv4).toBe('1.2.3.45');
    expect(scrubbed.observations.tcp_connect[0]?.ip).toBe('11.2.3.4');
  });

  it('replaces an IPv6 address in any spelling, in values and in object keys', () => {
    const record = fullRecord();
    record.observations.tcp_connect[0]!.ip = '2001:DB8:0:1:0:0:0:7';
    record.observations.tls_handshakes[0]!.address = '[2001:0db8:0000:0001:0000:0000:0000:0007]:443';
    record.control.response!.tcp_connect[`[${PROBE_IPV6}]:443`] = { status: true, failure: null };
    const scrubbed = scrubRecord(record, [PROBE_IPV6]);
    const text = JSON.stringify(scrubbed);
    expect(text).not.toMatch(/2001:db8:0:1::7|2001:0db8:0000:0001/i);
    expect(scrubbed.observations.tcp_connect[1]?.status.failure).toBe('unknown_failure: connect from [scrubbed] failed');
    expect(scrubbed.observations.tls_handshakes[0]?.address).toBe('[[scrubbed]]:443');
    expect(Object.keys(scrubbed.control.response!.tcp_connect)).toContain('[[scrubbed]]:443');
    // Other IPv6 addresses stay.
    expect(scrubbed.observations.tcp_connect[1]?.ip).toBe('2606:2800:21f:cb07:6820:80da:af6b:8b2c');
  });

  it('returns an equal copy when no probe address is known', () => {
    const record = fullRecord();
    const copy = scrubRecord(record, []);
    expect(copy).toEqual(record);
    expect(copy).not.toBe(record);
    expect(copy.observations).not.toBe(record.observations);
  });

  it('throws TypeError for a probe address that is not an IP address (programmer error)', () => {
    expect(() => scrubRecord(fullRecord(), ['example.org'])).toThrow(TypeError);
  });
});
