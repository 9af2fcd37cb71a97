/**
 * `censorprobe run`: the main job. Flags → frozen RunConfig → targets → runner → report + console.
 */
import { rm } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ResolverIdentity, Target } from '../../model/index.js';
import type { RunConfig } from '../../runner/config.js';
import { DEFAULT_THROTTLING } from '../../runner/throttling-check.js';
import { MIN_PAIRS } from '../../throttling/index.js';
import { DEFAULT_BASELINE_TIMEOUT_MS } from '../../outage/index.js';
// Only the option defaults are loaded with the command; the measuring stack (net, undici, report
// schema, targets) is imported when the action runs, so `censorprobe --version`/`--help` start fast
// (start-up <= 150 ms, `npm run bench`).
import { DEFAULTS } from '../../flows/defaults.js';
import type { FlowOptions } from '../../flows/index.js';
import type { Io } from '../io.js';
import type { ClaimedReport } from '../report-path.js';
import { readAll } from '../io.js';
import { collect, fileOption, intOption, parseDohUrl, parseHttpUrl, parseResolver, parseShard, UsageError, readCaFiles } from '../options.js';
import { chalkFor, renderEvent, renderSummary } from '../render.js';
import { checkReportReadOnly, claimReport } from '../report-path.js';
import { safeText } from '../escape.js';
import { untestedKeys, variantNotes } from '../variant-notes.js';
import { EXIT, exitCodeHelp, signalExitCode } from '../exit-codes.js';
import { ensureConsent } from '../consent.js';
import { printDryRun } from './dry-run.js';
import { runConfigFrom, UNLIMITED_ESCALATIONS } from './run-config.js';
import { resolveFlags } from './resolve-flags.js';
import { shardFromEnv } from './shard.js';

export interface RunFlags {
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
  shard?: { index: number; count: number } | 'auto';
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
  /** Absent: {@link DEFAULT_THROTTLING}.maxEscalations, or no limit with --throttling (stated in --help). */
  throttlingEscalations?: number;
  throttlingPairs: number;
  throttlingBytes: number;
  throttlingTimeout: number;
  throttlingGap: number;
  throttlingWindow: number;
  throttlingBudget: number;
  throttlingSeed?: number;
  throttlingReference?: string;
  baseline: string[];
  baselines: boolean;
  baselineTimeout: number;
  baselineStreak: number;
  yes?: boolean;
  dryRun?: boolean;
  progressInterval: number;
  rateLimit?: number;
  config?: string;
  controlFile?: string;
  controlMaxAge: number;
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
  $ censorprobe run --config probe.json                 options from a file: {"control": "https://...", "concurrency": 16}
  $ CENSORPROBE_DNS_TIMEOUT=2000 censorprobe run        every option also as CENSORPROBE_<NAME> (lists comma-separated)

The report keeps every whole line whatever happens (Ctrl-C, a full disk); --resume continues it.
${exitCodeHelp('run')}`;

/** Builds the `run` command; `setExit` receives the exit code when the action finishes. */
export function runCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('run')
    .description('measure target URLs (DNS, TCP, TLS, HTTP), compare with a control, classify, write a JSONL report')
    .argument('[urls...]', 'target URLs (http:// or https://); none = the built-in default list')
    .option('-i, --input-file <file>', 'read targets from FILE: one URL a line (# comments) or a Citizen Lab CSV; - = stdin (repeatable)', collect, [])
    .option('-o, --output <file>', 'report file (default: censorprobe-<UTC time>.jsonl in the current directory)', fileOption('-o'))
    .option('--json', 'write report lines to standard output instead of a file (progress goes to stderr)')
    .option('--resume', 'skip targets already measured in the --output report and append to it')
    .option('--control <url>', 'test helper URL (OONI test-helper protocol, e.g. a `censorprobe helper`)', parseHttpUrl('--control'))
    .option('--continue-without-control', 'measure even when the --control helper cannot be reached (default: stop with exit code 3)')
    .option('--doh <url>', 'DoH resolver (https:// URL) for the DNS-only control when no --control is given (repeatable)', (v: string, prev: string[]) => [...prev, parseDohUrl(v)], [])
    .option('--no-doh-default', 'do not use the default DoH resolvers (no control at all without --control/--doh)')
    .addOption(new Option('--resolver <spec>', "the probe's resolver: 'system' (getaddrinfo; the DNS HTTPS record, which getaddrinfo cannot ask, goes to the first resolv.conf nameserver), 'udp://IP[:PORT]' or a DoH URL").default({ kind: 'system' }, 'system').argParser(parseResolver))
    .option('--ca-file <file>', 'also trust the CA certificates in FILE (PEM), e.g. a lab CA; verification is never disabled (repeatable)', collect, [])
    .option('-c, --concurrency <n>', 'targets measured at once', intOption('--concurrency', 1, 1024), 8)
    .option('--shard <i/n>', "measure only every N-th target starting at the I-th (round robin: N machines share a list); 'auto': a Kubernetes Indexed Job's JOB_COMPLETION_INDEX/JOB_COMPLETIONS", parseShard)
    .option('--dns-timeout <ms>', 'DNS timeout in ms (A/AAAA, and the HTTPS record asked beside them)', intOption('--dns-timeout', 1, 600_000), DEFAULTS.dnsTimeoutMs)
    .option('--connect-timeout <ms>', 'TCP connect timeout in ms', intOption('--connect-timeout', 1, 600_000), DEFAULTS.connectTimeoutMs)
    .option('--tls-timeout <ms>', 'TLS handshake timeout in ms', intOption('--tls-timeout', 1, 600_000), DEFAULTS.tlsTimeoutMs)
    .option('--http-timeout <ms>', 'HTTP round trip + body timeout in ms', intOption('--http-timeout', 1, 600_000), DEFAULTS.httpTimeoutMs)
    .option('--control-file <file>', 'use controls recorded earlier by `censorprobe control` instead of a live helper (offline, reproducible)')
    .option('--control-max-age <hours>', 'with --control-file: a recorded control older than this makes DNS verdicts inconclusive, hours', intOption('--control-max-age', 0, 87_600), 24)
    .option('--control-timeout <ms>', 'control (helper) timeout in ms', intOption('--control-timeout', 1, 600_000), DEFAULTS.controlTimeoutMs)
    .option('--max-body <bytes>', 'body bytes kept per response', intOption('--max-body', 0, 64 * 1024 * 1024), DEFAULTS.maxBodyBytes)
    .option('--max-redirects <n>', 'redirects followed', intOption('--max-redirects', 0, 50), DEFAULTS.maxRedirects)
    .option('--skip-invalid', 'measure the valid targets even when some input lines are invalid')
    .option('--throttling', 'run the paired-transfer throttling test on every target (default: only on suspicious ones)')
    .option('--throttling-escalations <n>', `throttling tests per run at most (0: screening only; default: ${DEFAULT_THROTTLING.maxEscalations}, or ${UNLIMITED_ESCALATIONS} with --throttling)`, intOption('--throttling-escalations', 0, UNLIMITED_ESCALATIONS))
    .option('--throttling-pairs <n>', 'pairs of transfers per throttling test (target vs reference)', intOption('--throttling-pairs', MIN_PAIRS, 50), DEFAULT_THROTTLING.pairs)
    .option('--throttling-bytes <bytes>', 'body bytes per throttling transfer', intOption('--throttling-bytes', 32 * 1024, 64 * 1024 * 1024), DEFAULT_THROTTLING.maxBytes)
    .option('--throttling-timeout <ms>', 'budget of the connect and of the TLS handshake of a throttling transfer, ms', intOption('--throttling-timeout', 100, 600_000), DEFAULT_THROTTLING.timeoutMs)
    .option('--throttling-gap <ms>', 'pause between throttling transfers, ms (none in the reset check)', intOption('--throttling-gap', 0, 600_000), DEFAULT_THROTTLING.gapMs)
    .option('--throttling-window <ms>', 'time for the HTTP response of a throttling transfer (the goodput window), ms', intOption('--throttling-window', 500, 600_000), DEFAULT_THROTTLING.windowMs)
    .option('--throttling-budget <ms>', 'total time of one throttling test, ms', intOption('--throttling-budget', 1000, 3_600_000), DEFAULT_THROTTLING.budgetMs)
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
    .option('-q, --quiet', 'no per-target lines, only the summary (and a progress line on stderr every --progress-interval)')
    .option('-y, --yes', 'consent to measuring without the first-run question (for scripts; also CENSORPROBE_YES=1)')
    .option('--dry-run', 'check the targets and options, print the normalised targets and stop (no network)')
    .option('--rate-limit <n>', 'targets started per second at most (default: no limit)', intOption('--rate-limit', 1, 10_000))
    .option('--config <file>', 'read option values from a JSON file ({"dns-timeout": 500, "control": "https://..."}; also CENSORPROBE_CONFIG); the command line and CENSORPROBE_* variables win')
    .option('--progress-interval <ms>', 'period of the plain progress line on stderr when not on a terminal or with -q, ms', intOption('--progress-interval', 10, 86_400_000), 30_000)
    .addHelpText('after', EXAMPLES)
    .action(async (urls: string[], given: RunFlags, cmd: Command) => {
      setExit(await runAction(urls, await resolveFlags<RunFlags>(cmd, given, io), io));
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
  // measurable CPU cost (`npm run bench`). V8 reads this flag at every heap-limit update.
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

  const extraCa = await readCaFiles(flags.caFile);

  const loaded = await loadTargets({ urls, inputFiles: flags.inputFile, readStdin: () => readAll(io.stdin) });
  if (loaded.errors.length > 0) {
    for (const e of loaded.errors) complain(safeText(e.line > 0 ? `${e.source}:${e.line}: ${e.reason}` : `${e.source}: ${e.reason}`));
    const n = loaded.errors.length;
    const what = loaded.errors.every((e) => e.line === 0) ? `unreadable input${n === 1 ? '' : 's'}` : `invalid input${n === 1 ? '' : 's'}`;
    if (!flags.skipInvalid) {
      complain(`${n} ${what}: fix ${n === 1 ? 'it' : 'them'}, or pass --skip-invalid to measure the rest.`);
      return EXIT.USAGE;
    }
    if (loaded.targets.length === 0) {
      complain(`${n} ${what} skipped and no valid target left: nothing to measure.`);
      return EXIT.USAGE;
    }
    complain(`${n} ${what} skipped (--skip-invalid); measuring the ${loaded.targets.length} valid target${loaded.targets.length === 1 ? '' : 's'}.`);
  }
  if (loaded.targets.length === 0) {
    const from = flags.inputFile.map((f) => (f === '-' ? 'stdin' : f)).join(', ');
    complain(safeText(`no targets in ${from || 'the arguments'}: nothing to measure.`));
    return EXIT.USAGE;
  }
  let targets: Target[] = [...loaded.targets];
  if (flags.shard) {
    const { index, count } = flags.shard === 'auto' ? shardFromEnv(io.env) : flags.shard;
    targets = targets.filter((_, i) => i % count === index - 1);
  }
  const [{ loadFingerprintFiles }, { sharedAsnDatabase }] = await Promise.all([import('../fingerprints.js'), import('../../runner/asn-db.js')]);
  const fingerprints = await loadFingerprintFiles(flags.fingerprints);
  if (flags.controlFile !== undefined && flags.control !== undefined) throw new UsageError('use either --control URL (a live helper) or --control-file FILE (recorded controls), not both');
  const controlFile = flags.controlFile === undefined ? undefined : await (await import('./control-file-load.js')).loadControlFile(flags.controlFile, flags.controlMaxAge * 3600);
  const asnInfo = sharedAsnDatabase().info;
  const config: RunConfig = runConfigFrom(flags, {
    fingerprints,
    asnLookup: sharedAsnDatabase().lookup,
    ...(asnInfo !== null ? { asnDb: asnInfo } : {}),
    extraCa,
    defaultDohResolvers: DEFAULT_DOH_RESOLVERS,
    ...(controlFile !== undefined ? { controlFile } : {}),
  });
  // The report file is checked (not claimed, never changed) before the dry run's list and before
  // the consent notice: a directory, a file that exists without --resume or a file that is not a
  // report is refused first. Claiming it below re-checks under the lock and tries a real write.
  const existing = await checkReportReadOnly({ output: flags.output, json: flags.json === true, resume: flags.resume === true, cwd: io.cwd });
  if (flags.dryRun) {
    // What the real run would measure.
    if (!flags.resume || existing === null) return printDryRun(targets, 0, io);
    const done = await measuredInputs(existing).catch((e: unknown) => {
      throw new UsageError(`-o ${flags.output ?? existing}: cannot read the report to resume it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    });
    const rest = targets.filter((t) => !done.has(t.url));
    return printDryRun(rest, targets.length - rest.length, io);
  }
  // Asked after every input and option was checked, before anything is created or measured.
  if (!(await ensureConsent(io, human, flags.yes === true))) return EXIT.USAGE;

  // The report is claimed (and locked) before reading what it already holds: two --resume runs on
  // one report cannot both measure the rest (docs/report-format.md, "Locking").
  const claim = await claimReport({ output: flags.output, json: flags.json === true, resume: flags.resume === true, cwd: io.cwd });
  try {
    // The control is checked after every argument and the report file (no traffic for a bad
    // invocation), before anything is measured (docs/network-state.md).
    const { preflightControl } = await import('../preflight.js');
    const stop = await preflightControl(config, { continueWithoutControl: flags.continueWithoutControl === true, say, complain, c: err, quiet: flags.quiet === true });
    if (stop !== null) {
      // Nothing was measured: the empty report this run created goes away again.
      if (claim.path !== null && flags.resume !== true) await rm(claim.path, { force: true }).catch(() => undefined);
      return stop;
    }
    return await measureInto(claim, targets, config, flags, io, { human, err, say, createReportWriter, measuredInputs, createRunContext, runTargets });
  } finally {
    await claim.release();
  }
}

interface RunDeps {
  human: NodeJS.WritableStream & { isTTY?: boolean };
  err: ReturnType<typeof chalkFor>;
  say: (s: string) => void;
  createReportWriter: typeof import('../../report/index.js').createReportWriter;
  measuredInputs: typeof import('../../report/index.js').measuredInputs;
  createRunContext: typeof import('../../runner/measure-target.js').createRunContext;
  runTargets: typeof import('../../runner/run.js').runTargets;
}

/** The measuring part of `run`, on a claimed report: returns the exit code. */
async function measureInto(claim: ClaimedReport, all: Target[], config: RunConfig, flags: RunFlags, io: Io, d: RunDeps): Promise<number> {
  const { human, err, say } = d;
  const reportPath = claim.path;
  let targets = all;
  let skipped = 0;
  if (flags.resume && reportPath !== null) {
    if (claim.trimmedBytes > 0) say(err.yellow(safeText(`${reportPath}: cut off a torn last line (${claim.trimmedBytes} bytes, left by an interrupted run); if it was a measurement, its target is measured again.`)));
    if (claim.completedTail === true) say(err.yellow(safeText(`${reportPath}: the last line had no newline but is a whole measurement: kept, newline added.`)));
    let done: Set<string>;
    const bad: { line: number; error?: string }[] = [];
    try {
      done = await d.measuredInputs(reportPath, (entry) => void bad.push(entry));
    } catch (e) {
      throw new UsageError(`-o ${flags.output ?? reportPath}: cannot read the report to resume it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const first = bad[0];
    if (first !== undefined) {
      // Kept as they are (a report is only ever appended to); `analyze` and `check` list them too.
      const more = bad.length > 1 ? ` and ${bad.length - 1} more line(s) like it` : '';
      say(err.yellow(safeText(`${reportPath}: line ${first.line} is not a measurement (${first.error ?? 'unreadable'})${more}: left as is and not counted as measured.`)));
    }
    const before = targets.length;
    targets = targets.filter((t) => !done.has(t.url));
    skipped = before - targets.length;
  }
  const writer = d.createReportWriter(reportPath === null ? { stream: io.stdout } : { path: reportPath });
  // A bar on a terminal; otherwise (or with -q) a plain line on stderr every --progress-interval.
  const barMode = human.isTTY === true && !flags.quiet;
  // cli-progress is loaded only when a run starts (fast `censorprobe --help`).
  const { createProgress } = await import('../progress.js');
  const progress = createProgress({ stream: barMode ? human : io.stderr, lines: human, bar: barMode, intervalMs: flags.progressInterval });
  if (!flags.json && human.isTTY && !flags.quiet) {
    say(err.dim('censorprobe tests whether sites are reachable from this network. People who watch this network can see which sites were tested.'));
    say(err.dim(`The report contains no IP address of yours${config.controlUrl ? '' : '; without --control, verdicts rest on DNS-over-HTTPS only'}.`));
  }
  if (config.controlUrl === null && config.controlFile === undefined && config.dohResolvers.length > 0 && !flags.quiet) {
    say(err.yellow('No --control helper given: DNS is compared with DNS-over-HTTPS; other steps are "inconclusive" unless HTTPS proves the site genuine.'));
  }

  const abort = new AbortController();
  let signals = 0;
  // Exit code of an interrupted run: 128 + the signal's number (exit-codes.ts).
  let interruptedCode: number = EXIT.SIGINT;
  const unsubscribe = io.onSignal((sig) => {
    signals++;
    interruptedCode = signalExitCode(sig);
    if (signals === 1) {
      say(err.yellow(`\n${sig}: stopping; measurements in progress are dropped, finished lines are kept.${sig === 'SIGINT' ? ' Press Ctrl-C again to quit at once.' : ''}`));
      abort.abort();
    } else {
      process.exit(interruptedCode);
    }
  });
  // Which resolver the DNS step measures: once per run, with a short timeout (resolver-identity.ts),
  // side by side with the first baseline round (runTargets `ready`); it never rejects.
  const { identifyResolver } = await import('../../runner/resolver-identity.js');
  const context = d.createRunContext();
  const identified = identifyResolver(config.resolver, { asnLookup: config.asnLookup ?? (() => 0), ...(config.extraCa !== undefined ? { extraCa: config.extraCa } : {}), signal: abort.signal }).then((identity) => {
    context.resolverIdentity = identity;
  });
  // The IPv4 ASN table (the egress address's and most DNS comparisons' lookups) is built while
  // the whoami lookup and the first baseline round are on the wire, not after them.
  const { sharedAsnDatabase } = await import('../../runner/asn-db.js');
  if (config.asnLookup === sharedAsnDatabase().lookup) setImmediate(() => sharedAsnDatabase().warm());
  const untested = new Set<string>();
  try {
    const summary = await d.runTargets(targets, {
      config,
      context,
      ready: identified,
      // A write error (disk full, EIO, report removed or replaced) stops measuring at once; the
      // error reaches main(), which prints it in one line and exits REPORT_WRITE.
      sink: {
        write: async (record) => {
          try {
            await writer.write(record);
          } catch (e) {
            abort.abort();
            throw e;
          }
        },
      },
      signal: abort.signal,
      skipped,
      onEvent: (e) => {
        if (e.kind === 'measured') for (const k of untestedKeys(e.record)) untested.add(k);
        if (e.kind === 'start') progress.start(e.total);
        else if (e.kind === 'measured') progress.update(e.done);
        if (flags.quiet && e.kind !== 'error') return; // -q: only the summary (it names the network state)
        const line = renderEvent(e, err);
        if (line !== null) progress.log(line);
      },
    });
    progress.stop();
    await writer.close();
    say(renderSummary(summary, reportPath, err));
    for (const note of runNotes(context.resolverIdentity, untested)) say(err.yellow(note));
    if (summary.interrupted) return interruptedCode;
    return summary.errors > 0 ? EXIT.INTERNAL : EXIT.OK;
  } finally {
    progress.stop();
    unsubscribe();
    await writer.close().catch(() => undefined); // already closed, or the write error is what main() reports
  }
}

/**
  * Notes after the summary: the ISP's resolver was not measured when the probe's resolver is a
 * well-known public one (and how to measure it), and the protocol variants sites advertised that
 * were not tested (docs/measurement-model.md).
 */
function runNotes(identity: ResolverIdentity | undefined, untested: Set<string>): string[] {
  const notes: string[] = [];
  if (identity?.public_resolver != null) {
    notes.push(`Note: your resolver is ${identity.public_resolver}, a public resolver: your ISP's resolver was not measured. To measure it, run again with --resolver udp://IP (your ISP's resolver address).`);
  }
  notes.push(...variantNotes(untested));
  return notes;
}
