/**
 * `censorprobe lab`: the censorship lab for users (docs/lab.md). `lab list` shows the scenarios,
 * `lab run NAME|FILE [-- probe options]` builds the scenario's world and censor in network
 * namespaces, runs `censorprobe helper` in the world and `censorprobe run` in the probe's namespace,
 * prints the verdict with its reasons (the same rendering as `run`) and writes the report;
 * `lab exec NAME -- COMMAND` runs any command inside the world (dig, curl, censorprobe itself).
 * As root the lab is built directly; as an ordinary user the command re-runs itself inside an
 * unprivileged user namespace (src/lab/access.ts), or says in one line what is missing.
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import {
  HELPER_ADDRESS,
  LabError,
  listScenarios,
  loadScenario,
  probeLabAccess,
  runScenario,
  ScenarioError,
  startHelper,
  startLab,
  USERNS_ENV,
  type Lab,
  type Scenario,
} from '../../lab/index.js';
import { createReportWriter } from '../../report/index.js';
import { claimReport } from '../report-path.js';
import { safeLines, safeText } from '../escape.js';
import { EXIT, exitCodeHelp, signalExitCode } from '../exit-codes.js';
import { untestedKeys, variantNotes } from '../variant-notes.js';
import { verdictLabel } from '../../runner/labels.js';
import type { Io } from '../io.js';
import { fileOption, UsageError } from '../options.js';
import { chalkFor, renderEvent } from '../render.js';

/** The CLI binary the lab runs inside the namespaces (`bin/censorprobe.js`, three levels above this file in src/ and dist/). */
export const LAB_CLI_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/censorprobe.js');

const EXAMPLES = `
Examples:
  $ censorprobe lab list
  $ censorprobe lab run tlsBlockingConnectionResetWithConsistentDNS
  $ censorprobe lab run dnsBlockingBOGON -o bogon.jsonl -- --connect-timeout 1000
  $ censorprobe lab run ./my-scenario.json --json
  $ censorprobe lab exec dnsHijackingToLocalhostWithHTTP -- dig +short www.example.com
  $ censorprobe lab exec httpDiffWithConsistentDNS -- curl -si http://www.example.com/
  $ censorprobe lab exec ownTlsResetOnSNI -- sh -c 'censorprobe run https://www.example.com/ --control $CENSORPROBE_LAB_CONTROL --ca-file $CENSORPROBE_LAB_CA'

Scenarios are JSON files (fixtures/scenarios/, format in src/lab/README.md). The lab needs Linux,
'ip' and 'nft', and root or unprivileged user namespaces. No traffic leaves the lab's namespaces.

${exitCodeHelp('lab')}`;

/** A child killed by a signal: the shell's 128 + its number (exit-codes.ts); 1 when unknown. */
function exitForChildSignal(signal: NodeJS.Signals | null): number {
  const n = signal !== null ? osConstants.signals[signal] : undefined;
  return n !== undefined ? 128 + n : EXIT.INTERNAL;
}

function scenarioOrUsage(nameOrFile: string): Scenario {
  try {
    return loadScenario(nameOrFile);
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(`${safeLines(e.message)} (see 'censorprobe lab list')`);
    throw e;
  }
}

/** firstSentence: the description's first sentence, cut to `max` characters. */
export function firstSentence(text: string, max = 110): string {
  const m = /^(.+?[.!?])(\s|$)/.exec(text.trim());
  const s = (m?.[1] ?? text.trim()).replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Ensures this process may build a lab. Returns null to go on here, or the exit code after the
 * command was re-run inside a user namespace, or 1 after printing what is missing.
 */
async function ensureAccess(io: Io): Promise<number | null> {
  const access = probeLabAccess(process.getuid?.() ?? -1, io.env);
  if (access.mode === 'root') return null;
  if (access.mode === 'none') {
    io.stderr.write(`censorprobe lab: ${safeText(access.reason)}\n`);
    return EXIT.UNAVAILABLE;
  }
  const [cmd, ...args] = [...access.prefix, process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const child = spawn(cmd as string, args, { stdio: 'inherit', env: { ...io.env, [USERNS_ENV]: '1' }, cwd: io.cwd });
  const unsubscribe = io.onSignal((sig) => child.kill(sig));
  try {
    return await new Promise<number>((res) => {
      child.on('error', (e) => {
        io.stderr.write(`censorprobe lab: cannot enter a user namespace (${safeText(e.message)})\n`);
        res(EXIT.UNAVAILABLE);
      });
      child.on('exit', (code, signal) => res(code ?? exitForChildSignal(signal)));
    });
  } finally {
    unsubscribe();
  }
}

function listAction(io: Io): number {
  const names = listScenarios({ all: true });
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const s = loadScenario(name);
    const origin = s.source?.startsWith('scenarios/catalog.json#') ? 'catalog' : 'ours   ';
    io.stdout.write(`${safeText(name.padEnd(width))}  ${origin}  ${safeText(firstSentence(s.description.replace(/^Censor: /, '')))}\n`);
  }
  io.stdout.write(`${names.length} scenarios. Run one: censorprobe lab run NAME\n`);
  return 0;
}

interface RunLabFlags {
  output?: string;
  json?: boolean;
  timeout: number;
}

async function runAction(nameOrFile: string, probeArgs: string[], flags: RunLabFlags, io: Io): Promise<number> {
  const scenario = scenarioOrUsage(nameOrFile);
  const gate = await ensureAccess(io);
  if (gate !== null) return gate;
  // Decided before the world is built, so that a bad -o never costs a measurement.
  const claim = await claimReport({ output: flags.output, json: flags.json === true, cwd: io.cwd });
  try {
    return await runClaimed(scenario, claim.path, probeArgs, flags, io);
  } finally {
    await claim.release();
  }
}

async function runClaimed(scenario: Scenario, reportPath: string | null, probeArgs: string[], flags: RunLabFlags, io: Io): Promise<number> {
  const human = flags.json ? io.stderr : io.stdout;
  const c = chalkFor(human, io.env);
  const say = (s: string): void => void human.write(`${s}\n`);
  say(c.dim(`Lab: ${safeText(scenario.name)}: building the world and its censor (network namespaces; nothing leaves them)...`));

  let lab: Lab | undefined;
  let interrupted: number | null = null;
  /**
   * The scenario ended without a line (interrupted, or the lab or the probe failed): the report
   * file that this run created under its default name is removed when it is still empty (one
   * target: nothing to resume); a file named with -o is left as it is. Returns `code`.
   */
  const nothingMeasured = async (code: number): Promise<number> => {
    if (reportPath === null) return code;
    const empty = (await stat(reportPath).catch(() => null))?.size === 0;
    if (empty && flags.output === undefined) {
      await rm(reportPath, { force: true });
      say(c.yellow('Nothing was measured: no report kept.'));
    } else if (empty) {
      say(c.yellow(`Nothing was measured: ${safeText(reportPath)} is left empty.`));
    }
    return code;
  };
  const unsubscribe = io.onSignal((sig) => {
    if (interrupted !== null) return;
    interrupted = signalExitCode(sig);
    say(c.yellow(`\n${sig}: stopping the lab...`));
    void lab?.stop();
  });
  try {
    const run = await runScenario(scenario, {
      cli: LAB_CLI_PATH,
      extraProbeArgs: probeArgs,
      timeoutMs: flags.timeout,
      onLab: (l) => {
        lab = l;
        if (interrupted !== null) void l.stop();
      },
    });
    if (interrupted !== null) return await nothingMeasured(interrupted);
    if (!run.record) {
      io.stderr.write(`censorprobe lab: the probe wrote no report line (exit ${run.code}):\n${safeLines(run.stderr.trim())}\n`);
      return await nothingMeasured(EXIT.INTERNAL);
    }
    const record = run.record;
    const writer = createReportWriter(reportPath === null ? { stream: io.stdout } : { path: reportPath });
    await writer.write(record);
    await writer.close();
    const line = renderEvent({ kind: 'measured', index: 0, done: 1, total: 1, record, label: verdictLabel(record.verdict) }, c);
    if (line !== null) say(line);
    for (const reason of record.verdict.reasons.slice(1)) say(`      ${c.dim(safeText(reason))}`);
    const v = record.verdict;
    const e = scenario.expected.verdict;
    const same = v.blocking === e.blocking && v.accessible === e.accessible && v.status === e.status;
    const fmt = (x: { blocking: unknown; accessible: unknown; status: unknown }): string => `blocking ${String(x.blocking)}, accessible ${String(x.accessible)}, status ${String(x.status)}`;
    say(`Verdict: ${fmt(v)}; OONI: blocking ${String(record.ooni.blocking)}, accessible ${String(record.ooni.accessible)}`);
    say(same ? c.green(`The scenario expects the same (${fmt(e)}).`) : c.yellow(`The scenario expects ${fmt(e)}.`));
    // The OONI keys the scenario lists, except those it says the lab cannot produce (lab_limits).
    const limits = scenario.expected.lab_limits ?? {};
    const ooni = record.ooni as unknown as Record<string, unknown>;
    const keyDiffs = Object.entries({ ...scenario.expected.ooni, ...(scenario.expected.ooni_extra ?? {}) })
      .filter(([k, want]) => limits[`ooni.${k}`] === undefined && limits[`ooni_extra.${k}`] === undefined && JSON.stringify(ooni[k]) !== JSON.stringify(want))
      .map(([k, want]) => `${k} ${JSON.stringify(ooni[k])} (expected ${JSON.stringify(want)})`);
    if (keyDiffs.length > 0) say(c.yellow(`OONI keys that differ from the scenario's: ${keyDiffs.join(', ')}.`));
    for (const note of variantNotes(new Set(untestedKeys(record)))) say(c.yellow(note));
    if (reportPath) say(`Report: ${safeText(reportPath)}`);
    // Like `check`: a scenario whose verdict or listed OONI keys differ exits 6, so CI can gate on it.
    return same && keyDiffs.length === 0 ? EXIT.OK : EXIT.DIFFERS;
  } catch (err) {
    if (interrupted !== null) return await nothingMeasured(interrupted);
    if (err instanceof LabError) {
      io.stderr.write(`censorprobe lab: ${safeLines(err.message)}\n`);
      return await nothingMeasured(EXIT.UNAVAILABLE);
    }
    throw err;
  } finally {
    unsubscribe();
  }
}

interface ExecLabFlags {
  world?: boolean;
  helper: boolean;
}

async function execAction(nameOrFile: string, command: string[], flags: ExecLabFlags, io: Io): Promise<number> {
  if (command.length === 0) throw new UsageError("lab exec needs a command after '--', e.g. censorprobe lab exec NAME -- dig www.example.com");
  const scenario = scenarioOrUsage(nameOrFile);
  const gate = await ensureAccess(io);
  if (gate !== null) return gate;
  let lab: Lab;
  try {
    lab = await startLab(scenario);
  } catch (err) {
    if (err instanceof LabError) {
      io.stderr.write(`censorprobe lab: ${safeLines(err.message)}\n`);
      return EXIT.UNAVAILABLE;
    }
    throw err;
  }
  const control = `http://${HELPER_ADDRESS}/`;
  try {
    if (flags.helper && (scenario.helper ?? 'run') === 'run') await startHelper(lab, LAB_CLI_PATH, 10_000);
    const ns = flags.world ? lab.worldNs : lab.probeNs;
    io.stderr.write(
      `Lab ${safeText(scenario.name)}: running in the ${flags.world ? 'world (uncensored)' : "probe's (censored)"} namespace. ` +
        `CENSORPROBE_LAB_CA=${lab.caFile} CENSORPROBE_LAB_CONTROL=${control}\n`,
    );
    // `censorprobe` on the PATH inside the lab: a two-line wrapper running this very CLI.
    const binDir = join(lab.dir, 'bin');
    mkdirSync(binDir, { recursive: true });
    writeFileSync(join(binDir, 'censorprobe'), `#!/bin/sh\nexec '${process.execPath}' '${LAB_CLI_PATH}' "$@"\n`, { mode: 0o755 });
    const env = {
      ...io.env,
      CENSORPROBE_LAB_CA: lab.caFile,
      CENSORPROBE_LAB_CONTROL: control,
      CENSORPROBE_LAB_SCENARIO: scenario.name,
      PATH: `${binDir}${io.env['PATH'] ? `:${io.env['PATH']}` : ''}`,
    };
    const child = spawn('ip', ['netns', 'exec', ns, ...command], { stdio: 'inherit', env, cwd: io.cwd });
    const unsubscribe = io.onSignal((sig) => child.kill(sig));
    try {
      return await new Promise<number>((res) => {
        child.on('error', (e) => {
          io.stderr.write(`censorprobe lab: cannot run ${safeText(command[0])}: ${safeText(e.message)}\n`);
          res(EXIT.USAGE);
        });
        child.on('exit', (code, signal) => res(code ?? exitForChildSignal(signal)));
      });
    } finally {
      unsubscribe();
    }
  } finally {
    await lab.stop();
  }
}

/** Builds the `lab` command (list | run | exec); `setExit` receives the exit code when an action finishes. */
export function labCommand(io: Io, setExit: (code: number) => void): Command {
  const lab = new Command('lab')
    .description('the censorship lab: run a scenario (a censored network built in Linux namespaces) end to end, offline')
    .addHelpText('after', EXAMPLES);
  const wire = (cmd: Command): Command =>
    cmd.exitOverride().configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(safeLines(s)) });
  lab.addCommand(
    wire(
      new Command('list').description('list the scenarios with a one-line description').action(() => {
        setExit(listAction(io));
      }),
    ),
  );
  lab.addCommand(
    wire(
      new Command('run')
        .description('build a scenario, run the helper and `censorprobe run` inside it, print the verdict and write the report')
        .argument('<scenario>', 'a scenario name (see lab list) or a scenario file (path/to/file.json)')
        .argument('[probe-options...]', "after '--': more `censorprobe run` options, e.g. -- --connect-timeout 1000")
        .option('-o, --output <file>', 'report file (default: censorprobe-<UTC time>.jsonl in the current directory)', fileOption('-o'))
        .option('--json', 'write the report line to standard output instead of a file (the rest goes to stderr)')
        .option('--timeout <ms>', 'budget for the probe run, ms', (v) => {
          if (!/^\d+$/.test(v)) throw new UsageError(`--timeout must be a whole number of ms, got '${v}'`);
          return Number(v);
        }, 120_000)
        .addHelpText('after', EXAMPLES)
        .action(async (name: string, probeArgs: string[], flags: RunLabFlags) => {
          setExit(await runAction(name, probeArgs, flags, io));
        }),
    ),
  );
  lab.addCommand(
    wire(
      new Command('exec')
        .description("run COMMAND inside a scenario's world (the probe's censored namespace by default), with the helper running")
        .argument('<scenario>', 'a scenario name (see lab list) or a scenario file')
        .argument('<command...>', "after '--': the command and its arguments")
        .option('--world', "run in the world's uncensored namespace instead of the probe's")
        .option('--no-helper', 'do not start the test helper')
        .addHelpText('after', EXAMPLES)
        .action(async (name: string, command: string[], flags: ExecLabFlags) => {
          setExit(await execAction(name, command, flags, io));
        }),
    ),
  );
  return lab;
}
