/**
 * Every scenario in fixtures/scenarios/ run end to end: the lab world with its censor, the
 * `censorprobe helper` in the uncensored world, and `censorprobe run` (the built CLI) in the probe's
 * namespace. Checks the report line against the JSON Schema, the OONI keys the scenario lists, and
 * our verdict. A failure prints observed and expected side by side.
 */
import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario, runScenario } from '../../src/lab/index.js';
import { validateRecord } from '../../src/report/schema.js';
import { CLI } from './cli-path.js';

const names = listScenarios();

describe('lab scenarios through the CLI', () => {
  it('has scenarios to run', () => {
    expect(names.length).toBeGreaterThanOrEqual(8);
  });

  for (const name of names) {
    it(`${name}: gives the expected OONI keys and verdict`, async () => {
      const scenario = loadScenario(name);
      const result = await runScenario(scenario, { cli: CLI });
      expect(result.code, result.stderr).toBe(0);
      const record = result.record;
      expect(validateRecord(record)).toEqual({ ok: true });
      const observed: Record<string, unknown> = {};
      const expected: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(scenario.expected.ooni ?? {})) {
        expected[`ooni.${k}`] = v;
        observed[`ooni.${k}`] = (record.ooni as unknown as Record<string, unknown>)[k];
      }
      for (const [k, v] of Object.entries(scenario.expected.verdict ?? {})) {
        expected[`verdict.${k}`] = v;
        observed[`verdict.${k}`] = (record.verdict as unknown as Record<string, unknown>)[k];
      }
      expect(observed, `reasons: ${record.verdict.reasons.join(' | ')}`).toEqual(expected);
      expect(record.verdict.reasons.length).toBeGreaterThan(0);
    });
  }
});
