/**
 * needsScrubbing: the allocation-free check the runner makes before scrubRecord's deep copy
 * (issue 6). It must agree with scrubRecord: true exactly when scrubbing would change the record.
 */
import { describe, expect, it } from 'vitest';
import { needsScrubbing, scrubRecord } from '../../../src/report/scrub.js';
import { fullRecord, PROBE_IPV4, PROBE_IPV6 } from './helpers/full-record.js';

const changes = (record: ReturnType<typeof fullRecord>, addrs: string[]): boolean => JSON.stringify(scrubRecord(record, addrs)) !== JSON.stringify(record);

describe('needsScrubbing', () => {
  it('is true for a record that mentions the probe address, in a value or only in a key', () => {
    const record = fullRecord();
    expect(needsScrubbing(record, [PROBE_IPV4])).toBe(true);
    expect(needsScrubbing(record, [PROBE_IPV6])).toBe(changes(record, [PROBE_IPV6]));
    const keyOnly = { ...fullRecord(), extra: { [`${PROBE_IPV4}:443`]: 1 } } as unknown as ReturnType<typeof fullRecord>;
    expect(needsScrubbing(keyOnly, ['192.0.2.250'])).toBe(false);
    expect(needsScrubbing(keyOnly, [PROBE_IPV4])).toBe(true);
  });

  it('is false, like scrubRecord changing nothing, for other addresses, longer addresses and no addresses', () => {
    const record = fullRecord();
    for (const addrs of [['192.0.2.250'], ['1.2.3.4'], [], ['']]) {
      expect(needsScrubbing(record, addrs)).toBe(false);
      expect(changes(record, addrs)).toBe(false);
    }
  });

  it('agrees with scrubRecord when called repeatedly (global regexes are reset)', () => {
    const record = fullRecord();
    for (let i = 0; i < 3; i++) expect(needsScrubbing(record, [PROBE_IPV4])).toBe(true);
  });
});
