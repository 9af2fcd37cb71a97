/**
 * `censorprobe run`: the main job. Flags → frozen RunConfig → targets → runner → report + console.
 */
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Target } from '../../model/index.js';
import type { RunConfig } from '../../runner/config.js';
import { DEFAULT_THROTTLING } from '../../runner/throttling-check.js';
import { MIN_PAIRS } from '../../throttling/index.js';
import { DEFAULT_BASELINES, DEFAULT_BASELINE_TIMEOUT_MS, parseBaseline, type BaselineCheck } from '../../outage/index.js';
// Only the option defaults are loaded with the command; the measuring stack (net, undici, report
// schema, targets) is imported when the action runs, so `censorprobe --version`/`--help` start fast
// (issue 6: start-up <= 150 ms).
import { DEFAULTS } from '../../flows/defaults.js';
import type { FlowOptions } from '../../flows/index.js';
import type { Io } from '../io.js';
import { readAll } from '../io.js';
import { collect, intOption, parseDohUrl, parseHttpUrl, parseResolver, parseShard, UsageError } from '../options.js';
import { chalkFor, renderEvent, renderSummary } from '../render.js';
import { resolveReportPath } from '../report-path.js';

interface RunFlags {
  inputFile: string[];
  output?: string;
  json?: boolean;
  resume?: boolean;
  control?: string;
  doh: string[];
  dohDefault: boolean;
  resolver: FlowOptions['resolver'];
  caFile: string[];
  concurrency: number;
  shard?: { index: number; count: number };
  dnsTimeout: number;
  connectTimeout: number;
  tlsTimeout: number;
  httpTimeout: number;
  controlTimeout: number;
  maxBody: number;
  maxRedirects: number;
  skipInvalid?: boolean;
  fingerprints: string[];
  throttling?: boolean;
  throttlingEscalations: number;
  throttlingPairs: number;
  throttlingBytes: number;
  throttlingTimeout: number;
  throttlingGap: number;
  throttlingSeed?: number;
  throttlingReference?: string;
  baseline: string[];
  baselines: boolean;
  baselineTimeout: number;
  baselineStreak: number;
  quiet?: boolean;
  continueWithoutControl?: boolean;
}

const EXAMPLES = `
Examples:
  $ censorprobe run                                   measure the built-in list (~30 sites)
  $ censorprobe run https://www.bbc.com/news https://signal.org/
  $ censorprobe run -i mylist.txt --control https://helper.example.org/
  $ censorprobe run -i global.csv -c 32 --json > report.jsonl
  $ cat urls.txt | censorprobe run -i - -o today.jsonl
  $ censorprobe run -i big.csv -o big.jsonl --resume   continue an interrupted run
  $ censorprobe run -i big.csv --shard 2/4              measure targets 2, 6, 10, ... (one of 4 machines)

Exit codes: 0 done, 2 bad arguments or input, 3 the --control helper cannot be reached, 130/143 interrupted by SIGINT/SIGTERM (the report keeps
every whole line; --resume continues it).`;

/** Builds the `run` command; `setExit` receives the exit code when the action finishes. */
export function runCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('run')
    .description('measure target URLs (DNS, TCP, TLS, HTTP), compare with a control, classify, write a JSONL report')
    .argument('[urls...]', 'target URLs (http:// or https://); none = the built-in default list')
    .option('-i, --input-file <file>', 'read targets from FILE: one URL a line (# comments) or a Citizen Lab CSV; - = stdin (repeatable)', collect, [])
    .option('-o, --output <file>', 'report file (default: censorprobe-<UTC time>.jsonl in the current directory)')
    .option('--json', 'write report lines to standard output instead of a file (progress goes to stderr)')
    .option('--resume', 'skip targets already measured in the --output report and append to it')
    .option('--control <url>', 'test helper URL (OONI test-helper protocol, e.g. a `censorprobe helper`)', parseHttpUrl('--control'))
    .option('--continue-without-control', 'measure even when the --control helper cannot be reached (default: stop with exit code 3)')
    .option('--doh <url>', 'DoH resolver (https:// URL) for the DNS-only control when no --control is given (repeatable)', (v: string, prev: string[]) => [...prev, parseDohUrl(v)], [])
    .option('--no-doh-default', 'do not use the default DoH resolvers (no control at all without --control/--doh)')
    .addOption(new Option('--resolver <spec>', "the probe's resolver: 'system' (getaddrinfo), 'udp://IP[:PORT]' or a DoH URL").default({ kind: 'system' }, 'system').argParser(parseResolver))
    .option('--ca-file <file>', 'also trust the CA certificates in FILE (PEM), e.g. a lab CA; verification is never disabled (repeatable)', collect, [])
    .option('-c, --concurrency <n>', 'targets measured at once', intOption('--concurrency', 1, 1024), 8)
    .option('--shard <i/n>', 'measure only every N-th target starting at the I-th (round robin: N machines share a list)', parseShard)
    .option('--dns-timeout <ms>', 'DNS timeout in ms', intOption('--dns-timeout', 1, 600_000), DEFAULTS.dnsTimeoutMs)
    .option('--connect-timeout <ms>', 'TCP connect timeout in ms', intOption('--connect-timeout', 1, 600_000), DEFAULTS.connectTimeoutMs)
    .option('--tls-timeout <ms>', 'TLS handshake timeout in ms', intOption('--tls-timeout', 1, 600_000), DEFAULTS.tlsTimeoutMs)
    .option('--http-timeout <ms>', 'HTTP round trip + body timeout in ms', intOption('--http-timeout', 1, 600_000), DEFAULTS.httpTimeoutMs)
    .option('--control-timeout <ms>', 'control (helper) timeout in ms', intOption('--control-timeout', 1, 600_000), 30_000)
    .option('--max-body <bytes>', 'body bytes kept per response', intOption('--max-body', 0, 64 * 1024 * 1024), DEFAULTS.maxBodyBytes)
    .option('--max-redirects <n>', 'redirects followed', intOption('--max-redirects', 0, 50), DEFAULTS.maxRedirects)
    .option('--skip-invalid', 'measure the valid targets even when some input lines are invalid')
    .option('--throttling', 'run the paired-transfer throttling test on every target (default: only on suspicious ones)')
    .option('--throttling-escalations <n>', 'throttling tests per run at most (0: screening only)', intOption('--throttling-escalations', 0, 100_000), DEFAULT_THROTTLING.maxEscalations)
    .option('--throttling-pairs <n>', 'pairs of transfers per throttling test (target vs reference)', intOption('--throttling-pairs', MIN_PAIRS, 50), DEFAULT_THROTTLING.pairs)
    .option('--throttling-bytes <bytes>', 'body bytes per throttling transfer', intOption('--throttling-bytes', 32 * 1024, 64 * 1024 * 1024), DEFAULT_THROTTLING.maxBytes)
    .option('--throttling-timeout <ms>', 'budget of each step of a throttling transfer, ms', intOption('--throttling-timeout', 100, 600_000), DEFAULT_THROTTLING.timeoutMs)
    .option('--throttling-gap <ms>', 'pause between throttling transfers, ms', intOption('--throttling-gap', 0, 600_000), DEFAULT_THROTTLING.gapMs)
    .option('--throttling-seed <n>', 'seed of the transfer order (default: random; always recorded)', intOption('--throttling-seed', 0, 2 ** 31 - 1))
    .option('--throttling-reference <name>', 'harmless SNI/Host of the reference arm (default: example.org)', (v: string) => {
      if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(v)) throw new InvalidArgumentError(`--throttling-reference '${v}' is not a host name`);
      return v.toLowerCase();
    })
    .option('--baseline <check>', 'baseline check for outage detection, replacing the defaults: tcp://IP:PORT, dns://IP/NAME, system-dns:NAME or a URL, optionally prefixed domestic: (repeatable)', collect, [])
    .option('--no-baselines', 'no baseline checks (no outage detection)')
    .option('--baseline-timeout <ms>', 'timeout of each baseline check, ms', intOption('--baseline-timeout', 100, 600_000), DEFAULT_BASELINE_TIMEOUT_MS)
    .option('--baseline-streak <n>', 'consecutive targets whose fetch failed that trigger a new baseline round (0: never)', intOption('--baseline-streak', 0, 100_000), 5)
    .option('--fingerprints <file>', 'add blockpage/false-positive fingerprints to the curated set (our JSONL, OONI CSV or Censored Planet JSONL; repeatable)', collect, [])
    .option('-q, --quiet', 'no per-target lines, only the summary')
    .addHelpText('after', EXAMPLES)
    .action(async (urls: string[], flags: RunFlags) => {
      setExit(await runAction(urls, flags, io));
    });
}

async function runAction(urls: string[], flags: RunFlags, io: Io): Promise<number> {
  const [{ loadTargets }, { createReportWriter, measuredInputs }, { createRunContext }, { runTargets }, { DEFAULT_DOH_RESOLVERS }] = await Promise.all([
    import('../../targets/index.js'),
    import('../../report/index.js'),
    import('../../runner/measure-target.js'),
    import('../../runner/run.js'),
    import('../../control/dns-reference.js'),
  ]);
  // A run keeps little alive (~25 MB) but allocates fast, and V8 then lets the old generation grow
  // to up to 4x the live set, so peak RSS rose with the run's length (145 MB at 1000 targets, 193 MB
  // at 5000). Growing it by at most 50% after each full GC keeps the peak flat (142 vs 147 MB) at no
  // measurable CPU cost (`npm run bench`, issue 6). V8 reads this flag at every heap-limit update.
  setFlagsFromString('--heap-growing-percent=50');
  // Human output goes to stdout, or to stderr when stdout carries the JSONL report (--json).
  const human = flags.json ? io.stderr : io.stdout;
  const err = chalkFor(human, io.env);
  const say = (s: string): void => {
    human.write(`${s}\n`);
  };
  const complain = (s: string): void => {
    io.stderr.write(`${s}\n`);
  };
  if (flags.resume && !flags.output) throw new UsageError('--resume needs --output FILE (the report to continue)');
  if (flags.resume && flags.json) throw new UsageError('--resume cannot be used with --json');

  const extraCa: string[] = [];
  for (const file of flags.caFile) {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--ca-file ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca-file ${file}: no PEM certificate in the file`);
    extraCa.push(pem);
  }

  const loaded = await loadTargets({ urls, inputFiles: flags.inputFile, readStdin: () => readAll(io.stdin) });
  if (loaded.errors.length > 0) {
    for (const e of loaded.errors) complain(e.line > 0 ? `${e.source}:${e.line}: ${e.reason}` : `${e.source}: ${e.reason}`);
    if (!flags.skipInvalid || loaded.targets.length === 0) {
      const n = loaded.errors.length;
      const what = loaded.errors.every((e) => e.line === 0) ? `unreadable input${n === 1 ? '' : 's'}` : `invalid input${n === 1 ? '' : 's'}`;
      complain(`${n} ${what}: fix ${n === 1 ? 'it' : 'them'}, or pass --skip-invalid to measure the rest.`);
      return 2;
    }
  }
  if (loaded.targets.length === 0) {
    const from = flags.inputFile.map((f) => (f === '-' ? 'stdin' : f)).join(', ');
    complain(`no targets in ${from || 'the arguments'}: nothing to measure.`);
    return 2;
  }
  let targets: Target[] = [...loaded.targets];
  if (flags.shard) {
    const { index, count } = flags.shard;
    targets = targets.filter((_, i) => i % count === index - 1);
  }
  let skipped = 0;
  if (flags.resume && flags.output) {
    const done = await measuredInputs(flags.output).catch(() => new Set<string>());
    const before = targets.length;
    targets = targets.filter((t) => !done.has(t.url));
    skipped = before - targets.length;
  }

  const [{ loadFingerprintFiles }, { sharedAsnDatabase }] = await Promise.all([import('../fingerprints.js'), import('../../runner/asn-db.js')]);
  const fingerprints = await loadFingerprintFiles(flags.fingerprints);
  const config: RunConfig = Object.freeze({
    fingerprints,
    asnLookup: sharedAsnDatabase().lookup,
    resolver: flags.resolver,
    timeouts: { dnsMs: flags.dnsTimeout, connectMs: flags.connectTimeout, tlsMs: flags.tlsTimeout, httpMs: flags.httpTimeout, controlMs: flags.controlTimeout },
    maxBodyBytes: flags.maxBody,
    maxRedirects: flags.maxRedirects,
    extraCa,
    controlUrl: flags.control ?? null,
    dohResolvers: flags.doh.length > 0 ? flags.doh : flags.dohDefault ? [...DEFAULT_DOH_RESOLVERS] : [],
    concurrency: flags.concurrency,
    throttling: {
      mode: flags.throttling ? ('always' as const) : ('auto' as const),
      pairs: flags.throttlingPairs,
      maxBytes: flags.throttlingBytes,
      timeoutMs: flags.throttlingTimeout,
      gapMs: flags.throttlingGap,
      seed: flags.throttlingSeed ?? null,
      referenceName: flags.throttlingReference ?? null,
      maxEscalations: flags.throttling && flags.throttlingEscalations === DEFAULT_THROTTLING.maxEscalations ? 100_000 : flags.throttlingEscalations,
    },
    baselines: { checks: baselineChecks(flags), timeoutMs: flags.baselineTimeout, streak: flags.baselineStreak },
  });

  // The control is checked before anything is measured (docs/network-state.md).
  const { preflightControl } = await import('../preflight.js');
  const stop = await preflightControl(config, { continueWithoutControl: flags.continueWithoutControl === true, say, complain, c: err, quiet: flags.quiet === true });
  if (stop !== null) return stop;

  const reportPath = await resolveReportPath({ output: flags.output, json: flags.json === true, resume: flags.resume === true, cwd: io.cwd });
  const writer = createReportWriter(reportPath === null ? { stream: io.stdout } : { path: reportPath });
  const progress = flags.quiet ? null : err;
  if (!flags.json && human.isTTY && !flags.quiet) {
    say(err.dim('censorprobe tests whether sites are reachable from this network. People who watch this network can see which sites were tested.'));
    say(err.dim(`The report contains no IP address of yours${config.controlUrl ? '' : '; without --control, verdicts rest on DNS-over-HTTPS only'}.`));
  }
  if (config.controlUrl === null && config.dohResolvers.length > 0 && !flags.quiet) {
    say(err.yellow('No --control helper given: DNS is compared with DNS-over-HTTPS; other steps are "inconclusive" unless HTTPS proves the site genuine.'));
  }

  const abort = new AbortController();
  let signals = 0;
  // Exit code of an interrupted run: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
  let interruptedCode = 130;
  const unsubscribe = io.onSignal((sig) => {
    signals++;
    interruptedCode = sig === 'SIGTERM' ? 143 : 130;
    if (signals === 1) {
      say(err.yellow(`\n${sig}: stopping; measurements in progress are dropped, finished lines are kept.${sig === 'SIGINT' ? ' Press Ctrl-C again to quit at once.' : ''}`));
      abort.abort();
    } else {
      process.exit(interruptedCode);
    }
  });
  try {
    const summary = await runTargets(targets, {
      config,
      context: createRunContext(),
      sink: writer,
      signal: abort.signal,
      skipped,
      onEvent: (e) => {
        if (progress === null && e.kind !== 'error') return; // -q: only the summary (it names the network state)
        const line = renderEvent(e, err);
        if (line !== null) say(line);
      },
    });
    await writer.close();
    say(renderSummary(summary, reportPath, err));
    if (summary.interrupted) return interruptedCode;
    return summary.errors > 0 ? 1 : 0;
  } finally {
    unsubscribe();
  }
}

/**
 * The baseline checks of a run: none with --no-baselines; the --baseline ones, else the defaults.
 * The helper is not one of them: control health is not network health (the preflight checks it).
 */
function baselineChecks(flags: RunFlags): BaselineCheck[] {
  if (!flags.baselines) return [];
  const specs = flags.baseline.length > 0 ? flags.baseline : [...DEFAULT_BASELINES];
  return specs.map((spec) => {
    try {
      return parseBaseline(spec);
    } catch (e) {
      throw new UsageError(`--baseline: ${(e as Error).message}`);
    }
  });
}
