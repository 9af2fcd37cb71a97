/**
 * End to end: the throttling and outage scenarios of fixtures/scenarios/throttling/, each
 * run through the built CLI in a fresh lab (censor in the world namespace, helper in the world,
 * probe in its namespace). Checks the report line against the JSON Schema, OONI's keys (except for
 * the outage scenarios: OONI has no notion of an outage), our verdict, and the figures of the
 * throttling test or the vantage state. The scenarios live in a subfolder so that the generic
 * scenarios.test.ts does not run them a second time.
 *
 * The scenarios run PARALLEL at a time (each spends most of its time waiting on throttled
 * transfers or timeouts, not on the CPU). Every throttled scenario must report its rates, ratio
 * and p-value in the decision; the slow-but-not-throttled ones must never say `throttling`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, runScenario, SCENARIOS_DIR, type ScenarioRun } from '../../src/lab/index.js';
import type { ReportRecord, ThrottlingDecision } from '../../src/model/index.js';
import { validateRecord } from '../../src/report/schema.js';
import { CLI } from './cli-path.js';

const DIR = path.join(SCENARIOS_DIR, 'throttling');
const names = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

/**
 * At most this many labs at once, and a new one starts at most every START_GAP_MS: starting a lab
 * (namespaces, world process, certificates) is the CPU-heavy part; a running scenario mostly waits.
 */
const PARALLEL = 4;
const START_GAP_MS = 1500;
let running = 0;
let nextStart = 0;
const waiting: (() => void)[] = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((r) => waiting.push(r));
  running++;
  const now = Date.now();
  const at = Math.max(now, nextStart);
  nextStart = at + START_GAP_MS;
  if (at > now) await new Promise((r) => setTimeout(r, at - now));
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const decisionOf = (r: ReportRecord): ThrottlingDecision | null => r.throttling?.escalation?.decision ?? null;

/** A throttled decision with its figures: rates of each arm, ratio and p-value, keyed as expected. */
function expectRates(d: ThrottlingDecision | null, key: 'name' | 'address'): void {
  expect(d?.throttled).toBe(true);
  expect(d?.key).toBe(key);
  expect(d?.goodput_bps.target).toBeGreaterThan(0);
  expect(d?.ratio).toBeLessThan(0.5);
  expect(d?.p_value).toBeLessThanOrEqual(0.01);
  expect(d?.ks_p_value).not.toBeNull();
  if (key === 'address') expect(d?.goodput_bps.other_path).toBeGreaterThan(10 * (d?.goodput_bps.target ?? 0));
  else expect(d?.goodput_bps.reference).toBeGreaterThan(2 * (d?.goodput_bps.target ?? 0));
}

/** The scenarios that are slow but not throttled: they must never say `throttling`. */
const NOT_THROTTLED = ['uniformlySlowNetwork', 'slowServerControlAlsoSlow', 'slowForEveryone', 'uncensoredLargeDownload', 'resetOnData', 'residualBlocking90s'];

/** What each scenario must show beyond the verdict. */
const EXTRA: Record<string, (r: ReportRecord) => void> = {
  throttlingSniRateLimitHTTPS: (r) => {
    const d = decisionOf(r);
    expect(d?.outcome).toBe('throttled_severe');
    expect(d?.ratio).toBeLessThan(0.1);
    expect(d?.p_value).toBeLessThanOrEqual(0.01);
    expect(d?.goodput_bps.target).toBeGreaterThan(100_000);
    expect(d?.goodput_bps.target).toBeLessThan(200_000); // the 150 kbit/s policer
    expect(d?.trials).toEqual({ target: 5, reference: 5, other_path: 5 });
    expect(r.throttling?.escalation?.seed).toBe(42);
    expect(r.throttling?.escalation?.reference).toBe('same_address');
    expect(r.verdict.reasons.join(' ')).toMatch(/ratio .* p=0\.004/);
  },
  throttlingHostRateLimitHTTP: (r) => {
    const d = decisionOf(r);
    expect(r.throttling?.escalation?.reference).toBe('same_address');
    expect(r.throttling?.escalation?.transfers.filter((t) => t.arm === 'target').every((t) => t.address === '52.35.36.75:80')).toBe(true);
    expect(d?.key).toBe('name');
    expect(d?.outcome).toBe('throttled_severe');
    expect(d?.p_value).toBeLessThanOrEqual(0.01);
    expect(d?.ratio).toBeLessThan(0.1);
  },
  throttlingFreezeAfter16KiB: (r) => {
    const d = decisionOf(r);
    expect(d?.outcome).toBe('throttled_freeze');
    expect(d?.freeze_after_bytes).toBeGreaterThanOrEqual(12 * 1024);
    expect(d?.freeze_after_bytes).toBeLessThanOrEqual(20 * 1024);
    expect(r.verdict.reasons[0]).toMatch(/froze after \d+ bytes/);
    expect(d?.ratio).toBeLessThan(0.5);
    expect(d?.p_value).toBeLessThanOrEqual(0.01);
  },
  throttlingHandshake: (r) => {
    const d = decisionOf(r);
    expect(r.throttling?.screening.suspicious).toContain('slow_handshake');
    expect(d?.outcome).toBe('throttled_handshake');
    expect(d?.handshake_ms.target).toBeGreaterThan(1000);
    expect(d?.handshake_p_value).toBeLessThanOrEqual(0.01);
  },
  throttlingWithHTTPS: (r) => {
    const d = decisionOf(r);
    expect(d?.throttled).toBe(true);
    expect(d?.ratio).toBeLessThan(0.1);
    expect(d?.p_value).toBeLessThanOrEqual(0.01);
  },
  uniformlySlowNetwork: (r) => {
    const d = decisionOf(r);
    expect(r.throttling?.escalation?.triggers).toContain('requested');
    expect(d?.throttled).toBe(false);
    expect(d?.attribution).toBe('network_degraded');
    expect(d?.ratio).toBeGreaterThan(0.7);
    expect(d?.trials.other_path).toBeGreaterThanOrEqual(3);
  },
  slowServerControlAlsoSlow: (r) => {
    expect(r.throttling?.screening.suspicious).toContain('low_goodput');
    expect(r.throttling?.screening.slow_for_everyone?.control_goodput_bps).toBeGreaterThan(0);
    expect(r.throttling?.escalation).toBeNull(); // slow for the control too: not escalated
  },
  throttlingAddressPolicerHTTP: (r) => {
    const d = decisionOf(r);
    expect(r.throttling?.escalation?.transfers.filter((t) => t.arm === 'target').every((t) => t.address === '52.35.36.75:80')).toBe(true);
    expectRates(d, 'address');
  },
  throttlingAddressPolicerHTTPS: (r) => expectRates(decisionOf(r), 'address'),
  throttlingLowRate2KBs: (r) => {
    const d = decisionOf(r);
    expectRates(d, 'name');
    expect(d?.goodput_bps.target).toBeLessThan(40_000); // 2 KB/s = 16.4 kbit/s
  },
  throttlingSniSubstring16kbit: (r) => {
    const d = decisionOf(r);
    expectRates(d, 'name');
    expect(d?.goodput_bps.target).toBeLessThan(40_000);
    expect(r.throttling?.escalation?.transfers.filter((t) => t.arm === 'target').every((t) => t.stall_after_bytes === null)).toBe(true); // a trickle, not a freeze
  },
  throttlingStarvedHandshake: (r) => {
    const d = decisionOf(r);
    expect(d?.outcome).toBe('throttled_handshake');
    expect(d?.handshake_ms.target).toBeGreaterThan(2000);
    expect(d?.ratio).toBeLessThan(0.2);
    expect(d?.p_value).toBeLessThanOrEqual(0.01);
  },
  slowForEveryone: (r) => {
    expect(r.throttling?.screening.slow_for_everyone).not.toBeNull();
    expect(r.throttling?.screening.transfer?.goodput_bps).toBeGreaterThan(8_000);
    expect(r.throttling?.screening.transfer?.goodput_bps).toBeLessThan(40_000);
    expect(r.throttling?.escalation).toBeNull();
  },
  residualBlocking90s: (r) => {
    const probe = r.observations.tls_handshakes.find((h) => h.tags.includes('sni_probe'));
    const target = r.observations.tls_handshakes.find((h) => !h.tags.includes('sni_probe'));
    expect(probe?.server_name).toBe('example.org');
    expect(probe?.failure === null || probe?.failure === 'ssl_invalid_hostname').toBe(true); // completed before the trigger
    expect(target?.failure).toBe('connection_reset');
    expect(probe!.t0).toBeLessThan(target!.t0);
  },
  resetOnData: (r) => {
    const d = decisionOf(r);
    expect(r.throttling?.screening.suspicious).toContain('reset_after_handshake');
    expect(d?.outcome).toBe('blocked');
    expect(d?.throttled).toBe(false);
    expect(d?.interference).toEqual({ kind: 'reset_on_data', address: '52.35.36.75:443', names: ['largefile.com', 'example.org'] });
    // The reset check: every round of every arm, back to back (docs/throttling.md "Reset check").
    const esc = r.throttling?.escalation;
    expect(esc?.transfers.length).toBe(esc!.pairs * new Set(esc?.order).size);
    expect(d?.reasons[0]).toMatch(/residual blocking/);
  },
  outageAllTrafficDropped: (r) => {
    expect(r.vantage?.state).toBe('local_offline');
    expect(r.verdict.reasons[0]).toMatch(/^local network offline/);
  },
  outageInternationalCut: (r) => {
    expect(r.vantage?.state).toBe('international_cut');
    expect(r.verdict.reasons[0]).toMatch(/^international connectivity cut/);
  },
  uncensoredLargeDownload: (r) => {
    expect(r.throttling?.screening.suspicious).toEqual([]);
    expect(r.throttling?.escalation).toBeNull();
    expect(r.throttling?.screening.transfer?.bytes).toBeGreaterThan(512 * 1024);
  },
};

describe('throttling and outage scenarios through the CLI', () => {
  it('has every scenario listed here', () => {
    expect(names).toEqual(Object.keys(EXTRA).sort());
  });

  for (const name of names) {
    // One retry: these scenarios measure rates on a shared 2-core machine; a run starved by other
    // lab files can miss an escalation. A real regression fails twice (docs/throttling.md).
    it.concurrent(`${name}: gives the expected verdict and figures`, { timeout: 240_000, retry: 1 }, async () => {
      const scenario = loadScenario(path.join(DIR, `${name}.json`));
      const result: ScenarioRun = await limited(() => runScenario(scenario, { cli: CLI, timeoutMs: 120_000 }));
      expect(result.code, result.stderr).toBe(0);
      const record = result.record;
      expect(validateRecord(record)).toEqual({ ok: true });
      const observed: Record<string, unknown> = {};
      const expected: Record<string, unknown> = {};
      if (!name.startsWith('outage')) {
        for (const [k, v] of Object.entries({ ...scenario.expected.ooni, ...(scenario.expected.ooni_extra ?? {}) })) {
          expected[`ooni.${k}`] = v;
          observed[`ooni.${k}`] = (record.ooni as unknown as Record<string, unknown>)[k];
        }
      }
      for (const [k, v] of Object.entries(scenario.expected.verdict)) {
        expected[`verdict.${k}`] = v;
        observed[`verdict.${k}`] = (record.verdict as unknown as Record<string, unknown>)[k];
      }
      expect(observed, `reasons: ${record.verdict.reasons.join(' | ')}`).toEqual(expected);
      EXTRA[name]?.(record);
      if (NOT_THROTTLED.includes(name)) {
        expect(record.verdict.blocking).not.toBe('throttling');
        expect(record.verdict.layers ?? []).not.toContain('throttling');
      }
    });
  }
});
