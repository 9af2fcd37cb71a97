/**
 * The middlebox's delay shaper keeps byte order and lets the end (FIN) follow the last byte, even
 * when many chunks arrive within the same millisecond (a reordering there broke TLS records and
 * made a delayed handshake scenario flaky under load).
 */
import { describe, expect, it } from 'vitest';
import { createDelay } from '../../src/lab/shapers.js';

describe('createDelay', () => {
  it('passes 500 chunks written back to back in order, then ends', async () => {
    const d = createDelay(20);
    const got: Buffer[] = [];
    d.on('data', (c: Buffer) => got.push(c));
    const ended = new Promise<void>((resolve) => d.on('end', resolve));
    const sent = Array.from({ length: 500 }, (_, i) => Buffer.from(`${i},`));
    for (const [i, c] of sent.entries()) {
      d.write(c);
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    d.end();
    await ended;
    expect(Buffer.concat(got).toString()).toBe(Buffer.concat(sent).toString());
  });
});
