/**
 * The network states end to end (docs/network-state.md): each scenario of
 * fixtures/scenarios/network/ runs `censorprobe run` on the default path (no --control: the DoH
 * control at the lab's 1.1.1.1, 8.8.8.8 and 9.9.9.9, trusted through the lab CA) in a fresh lab,
 * and the report line must carry the scenario's vantage state and an honest verdict. The same lab
 * world with no censor is "normal", with the DoH control answering.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, SCENARIOS_DIR, startLab, type Scenario } from '../../src/lab/index.js';
import type { ReportRecord, VantageState } from '../../src/model/index.js';
import { validateRecord } from '../../src/report/schema.js';
import { CLI } from '../e2e/cli-path.js';

const DIR = path.join(SCENARIOS_DIR, 'network');

/** Each scenario's expected state, and extra checks of its line. */
const EXPECTED: Record<string, { state: VantageState; extra?: (r: ReportRecord, stdout: string, stderr: string) => void }> = {
  networkNxdomainAndProxy: {
    state: 'local_offline',
    extra: (r) => {
      // Without the state the NXDOMAIN would read as DNS blocking; the line says what it would have been.
      expect(r.verdict.reasons[0]).toContain('without the outage check: dns');
      expect(r.vantage?.round.results.some((x) => x.kind === 'tls' && x.altered === true && x.failure === 'eof_error')).toBe(true);
      expect(r.vantage?.round.results.some((x) => x.kind === 'system-dns' && x.failure === 'dns_nxdomain_error')).toBe(true);
    },
  },
  networkCaptivePortal: {
    state: 'captive_portal',
    extra: (r) => {
      const http = r.vantage?.round.results.filter((x) => x.kind === 'http' && x.port === 80) ?? [];
      expect(http.length).toBe(2);
      expect(http.every((x) => !x.ok && x.altered === true)).toBe(true);
    },
  },
  networkDohBlocked: {
    state: 'normal',
    extra: (r, _stdout, stderr) => {
      expect(r.control.source).toBe('doh');
      expect(r.control.dns_reference?.failure).toMatch(/^unknown_failure: dns control unavailable: /);
      expect(r.control.failure).toMatch(/DNS control is unavailable/);
      expect(r.verdict.blocking).toBeNull();
      expect(r.verdict.status).not.toBe('down');
      expect(r.vantage?.round.results.filter((x) => x.resolver === true && x.kind === 'tls').every((x) => x.failure === 'connection_refused')).toBe(true);
      // Said once, before measuring (stderr carries the human output with --json).
      expect(stderr.match(/The DNS control is unavailable: no DNS-over-HTTPS resolver/g)?.length).toBe(1);
    },
  },
  networkPort443Cut: { state: 'port_443_cut' },
  networkAllowList: { state: 'allowlist_only' },
  networkDnsBroken: {
    state: 'dns_broken',
    extra: (r) => {
      expect(r.vantage?.round.results.filter((x) => x.kind === 'system-dns').every((x) => !x.ok)).toBe(true);
      expect(r.vantage?.round.results.filter((x) => x.kind === 'tls').every((x) => x.ok)).toBe(true);
    },
  },
};

const PARALLEL = 3;
let running = 0;
const waiting: (() => void)[] = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

async function runDefaultPath(scenario: Scenario): Promise<{ code: number | null; stdout: string; stderr: string; record: ReportRecord }> {
  const lab = await startLab(scenario);
  try {
    const r = await lab.execInProbe([process.execPath, CLI, 'run', scenario.input, '--json', '--ca-file', lab.caFile, ...(scenario.probe_args ?? [])], { timeoutMs: 90_000 });
    const line = r.stdout.split('\n').find((l) => l.trim() !== '') ?? 'null';
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, record: JSON.parse(line) as ReportRecord };
  } finally {
    await lab.stop();
  }
}

describe('network states through the CLI on the default path (DoH control, no helper)', () => {
  const names = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  it('has a scenario for every state of docs/network-state.md that the lab can build', () => {
    expect(names).toEqual(Object.keys(EXPECTED).sort());
  });

  it.concurrent('the uncensored lab world is normal and its DoH control answers', { timeout: 180_000 }, async () => {
    const base = loadScenario(path.join(SCENARIOS_DIR, 'successWithHTTPS.json'));
    const r = await limited(() => runDefaultPath({ ...base, probe_args: [] }));
    expect(r.code, r.stderr).toBe(0);
    expect(validateRecord(r.record)).toEqual({ ok: true });
    expect(r.record.vantage?.state).toBe('normal');
    expect(r.record.vantage?.round.results.every((x) => x.ok)).toBe(true);
    expect(r.record.control.dns_reference).toEqual({ resolver_address: 'https://8.8.8.8/dns-query', failure: null, addrs: ['93.184.216.34'] });
    expect(r.record.verdict).toMatchObject({ accessible: true, status: 'ok' });
    expect(r.stderr).not.toMatch(/DNS control is unavailable/);
  });

  for (const name of Object.keys(EXPECTED)) {
    it.concurrent(`${name}: gives the state ${EXPECTED[name]?.state}`, { timeout: 180_000 }, async () => {
      const scenario = loadScenario(path.join(DIR, `${name}.json`));
      const r = await limited(() => runDefaultPath(scenario));
      expect(r.code, r.stderr).toBe(0);
      expect(validateRecord(r.record)).toEqual({ ok: true });
      const want = EXPECTED[name];
      expect(r.record.vantage?.state, `${r.record.vantage?.reason}`).toBe(want?.state);
      expect({ blocking: r.record.verdict.blocking, accessible: r.record.verdict.accessible, status: r.record.verdict.status }, r.record.verdict.reasons.join(' | ')).toEqual(scenario.expected.verdict);
      if (want?.state !== 'normal') {
        // One plain sentence, never "OK" next to a failure state, repeated rounds collapsed.
        expect(r.stderr).not.toMatch(/\bOK\b/);
        expect(r.stderr.match(/^Network \((before|streak|after)\)/gm)?.length ?? 0).toBeLessThanOrEqual(2);
      }
      want?.extra?.(r.record, r.stdout, r.stderr);
    });
  }
});
