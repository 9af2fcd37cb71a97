/**
 * Our own scenarios (fixtures/scenarios/*.json not taken from the catalog) run end to end through
 * the built CLI, like test/e2e/scenarios.test.ts does for the catalog ones: the pairs OONI cannot
 * tell apart (TLS reset on SNI vs on the address, a redirect hop refused vs reset), a fingerprinted
 * blockpage, DNS to a transparent proxy, IPv6 broken on the probe's side, dynamic content, DNS
 * forgery racing on UDP, ICMP unreachable, RST on Host, FIN and blackhole on SNI, no helper.
 */
import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario } from '../../src/lab/index.js';
import { checkScenario } from './scenario-check.js';

const own = listScenarios().filter((n) => !loadScenario(n).source?.startsWith('scenarios/catalog.json#'));

describe('our own scenarios through the CLI', () => {
  it('has at least ten of our own', () => {
    expect(own.length).toBeGreaterThanOrEqual(10);
  });

  for (const name of own) {
    it(`${name} gives its expected OONI keys and verdict`, async () => {
      await checkScenario(name);
    });
  }
});
