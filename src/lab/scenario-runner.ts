/**
 * scenario-runner: runs one scenario end to end: starts the lab, the `censorprobe helper` in the
 * uncensored world, then `censorprobe run --json` in the probe namespace, and returns the report
 * line. Used by test/e2e and, later, by `censorprobe lab`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportRecord } from '../model/index.js';
import { startLab, type Lab, type StartLabOptions } from './lab.js';
import { LAB_FINGERPRINTS, SCENARIOS_DIR, type Scenario } from './scenario.js';

/** listScenarios returns the names of the scenario files in fixtures/scenarios/ (without `.json`), sorted. */
export function listScenarios(opts: { all?: boolean } = {}): string[] {
  const names = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  const top = names(SCENARIOS_DIR);
  if (opts.all !== true) return top.sort();
  // Grouped scenarios (e.g. fixtures/scenarios/throttling/) have their own test files; `lab list`
  // shows them too, and loadScenario finds them by name.
  const groups = readdirSync(SCENARIOS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory());
  return [...top, ...groups.flatMap((g) => names(join(SCENARIOS_DIR, g.name)))].sort();
}

/** RunScenarioOptions: how to run the CLI. */
export interface RunScenarioOptions extends StartLabOptions {
  /** Path of the CLI entry (`bin/censorprobe.js`); run with the current Node. Required. */
  cli: string;
  /** Budget for `censorprobe run`, ms. Optional; default 60000. */
  timeoutMs?: number;
  /** How long to wait for the helper to accept connections, ms. Optional; default 10000. */
  helperStartMs?: number;
  /** More `censorprobe run` arguments, after the scenario's `probe_args` (later wins). Optional. */
  extraProbeArgs?: string[];
  /** Called once the lab is up (e.g. so a signal handler can stop it). Optional. */
  onLab?: (lab: Lab) => void;
}

/** ScenarioRun: the CLI's exit code and output, and the first report line parsed (null if none). */
export interface ScenarioRun {
  code: number | null;
  stdout: string;
  stderr: string;
  record: ReportRecord;
  /** The helper's stderr (for diagnostics). */
  helperStderr: string;
}

async function waitForHelper(lab: Lab, helperExited: () => string | null, budgetMs: number): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const exited = helperExited();
    if (exited !== null) throw new Error(`the helper exited before listening: ${exited}`);
    // `ss` (iproute2, already required) lists the world's listening TCP sockets.
    const r = await lab.execInWorld(['ss', '-Htln'], { timeoutMs: 3000 });
    if (r.stdout.includes(`${lab.helperAddress}:80 `)) return;
    if (Date.now() > deadline) throw new Error(`the helper did not listen on ${lab.helperAddress}:80 within ${budgetMs} ms`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

/**
 * runScenario runs `scenario` through the CLI inside a fresh lab and always stops the lab. Resolves
 * with the run (record is the first stdout line parsed as JSON, or `null as never` if there was
 * none: check `code` and `stderr` first). Rejects if the lab cannot be built or the helper does not
 * start.
 */
export async function runScenario(scenario: Scenario, opts: RunScenarioOptions): Promise<ScenarioRun> {
  const lab = await startLab(scenario, opts);
  opts.onLab?.(lab);
  let helperStderr = '';
  try {
    if ((scenario.helper ?? 'run') === 'run') await startHelper(lab, opts.cli, opts.helperStartMs ?? 10_000, (d) => (helperStderr += d));
    const res = await lab.execInProbe(probeCommand(lab, scenario, opts.cli, opts.extraProbeArgs ?? []), { timeoutMs: opts.timeoutMs ?? 60_000 });
    const firstLine = res.stdout.split('\n').find((l) => l.trim() !== '');
    let record: ReportRecord | null = null;
    if (firstLine !== undefined) {
      try {
        record = JSON.parse(firstLine) as ReportRecord;
      } catch {
        record = null;
      }
    }
    return { code: res.code, stdout: res.stdout, stderr: res.stderr, record: record as ReportRecord, helperStderr };
  } finally {
    await lab.stop();
  }
}

/**
 * probeCommand is the argv (node first) of `censorprobe run` for `scenario` in `lab`: JSON on
 * stdout, the lab helper as control, the lab CA, no DoH, then the scenario's `probe_args` and
 * `extra`. Pure.
 */
export function probeCommand(lab: Pick<Lab, 'helperAddress' | 'caFile'>, scenario: Scenario, cli: string, extra: string[] = []): string[] {
  return [
    process.execPath,
    cli,
    'run',
    scenario.input,
    '--yes', // the lab is offline: nothing is seen by anyone, no first-run question
    '--json',
    '--control',
    `http://${lab.helperAddress}/`,
    '--ca-file',
    lab.caFile,
    '--no-doh-default',
    '--fingerprints',
    LAB_FINGERPRINTS,
    ...(scenario.probe_args ?? []),
    ...extra,
  ];
}

/**
 * startHelper starts `censorprobe helper` in the lab's world on 68.183.70.80:80 (clean resolver, lab
 * CA) and resolves once it listens; `onStderr` receives its stderr. Rejects if it exits first or does
 * not listen within `budgetMs`.
 */
export async function startHelper(lab: Lab, cli: string, budgetMs: number, onStderr: (chunk: string) => void = () => undefined): Promise<void> {
  let helperStderr = '';
  const helper = lab.spawnInWorld([
    process.execPath,
    cli,
    'helper',
    '--listen',
    `${lab.helperAddress}:80`,
    '--resolver',
    `udp://${lab.cleanResolver}:53`,
    '--ca-file',
    lab.caFile,
  ]);
  helper.stderr?.on('data', (d: Buffer) => {
    helperStderr += d.toString('utf8');
    onStderr(d.toString('utf8'));
  });
  helper.stdout?.resume();
  await waitForHelper(lab, () => (helper.exitCode !== null ? `exit ${helper.exitCode}: ${helperStderr.trim()}` : null), budgetMs);
}
