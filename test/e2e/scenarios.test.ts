/**
 * The catalog scenarios (fixtures/scenarios/*.json whose `source` is the catalog) run end to end:
 * the lab world with its censor, `censorprobe helper` in the uncensored world, and `censorprobe run`
 * (the built CLI) in the probe's namespace. Checks the report line against the JSON Schema, the OONI
 * keys the scenario lists, and our verdict; a failure prints observed and expected side by side.
 * Our own scenarios run in test/lab/own-scenarios.test.ts (a second file, so vitest runs both halves
 * in parallel).
 */
import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario } from '../../src/lab/index.js';
import { checkScenario } from '../lab/scenario-check.js';

const catalog = listScenarios().filter((n) => loadScenario(n).source?.startsWith('scenarios/catalog.json#'));

describe('catalog scenarios through the CLI', () => {
  it('has every catalog scenario but throttlingWithHTTPS (issue 6 owns it)', () => {
    expect(catalog.length).toBeGreaterThanOrEqual(31);
  });

  for (const name of catalog) {
    it(`${name} gives the catalog's OONI keys and our verdict`, async () => {
      await checkScenario(name);
    });
  }
});
