/**
 * An internal error while measuring one target (a bug, never a network failure) still gives that
 * target its report line, with a failure from the vocabulary and the error's text in the reasons,
 * and the run goes on with the other targets. The targets are loopback URLs, which the probe never
 * connects to, so nothing touches the network; the bug is a fingerprint set that throws.
 */
import { describe, expect, it } from 'vitest';
import { runTargets } from '../../../src/runner/run.js';
import { createRunContext } from '../../../src/runner/measure-target.js';
import { INTERNAL_ERROR_FAILURE } from '../../../src/runner/internal-error.js';
import type { RunConfig } from '../../../src/runner/config.js';
import { testRunConfig } from './support/config.js';
import type { ReportRecord } from '../../../src/model/index.js';
import { validateRecord } from '../../../src/report/schema.js';
import { measuredInputs } from '../../../src/report/index.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const throwing = new Proxy({}, { get: () => { throw new TypeError('boom: a bug in a fingerprint set'); } });

function config(fingerprints: unknown): RunConfig {
  return testRunConfig({ fingerprints: fingerprints as RunConfig['fingerprints'] });
}

describe('an internal error in one target', () => {
  it('is a line with a vocabulary failure, never a lost line; --resume measures it again', async () => {
    const written: ReportRecord[] = [];
    const events: string[] = [];
    const targets = ['http://127.0.0.1:1/', 'http://127.0.0.2:1/'].map((url) => ({ url, category_code: null, source: 'argv' }));
    const summary = await runTargets(targets, {
      config: config(throwing),
      context: createRunContext(),
      sink: { write: async (r) => void written.push(r) },
      onEvent: (e) => void events.push(e.kind),
      probeAddresses: [],
    });
    expect(summary.errors).toBe(2);
    expect(written.map((r) => r.input).sort()).toEqual(targets.map((t) => t.url));
    for (const r of written) {
      expect(validateRecord(r)).toEqual({ ok: true });
      expect(r.control.failure).toBe(INTERNAL_ERROR_FAILURE);
      expect(r.verdict.status).toBe('inconclusive');
      expect(r.verdict.reasons[0]).toMatch(/boom: a bug in a fingerprint set/);
    }
    expect(events.filter((k) => k === 'error')).toHaveLength(2);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'censorprobe-ie-')), 'r.jsonl');
    writeFileSync(file, written.map((r) => `${JSON.stringify(r)}\n`).join(''));
    expect((await measuredInputs(file)).size).toBe(0);
  });
});
