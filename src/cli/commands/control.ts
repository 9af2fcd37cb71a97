/**
 * `censorprobe control -i LIST -o control.jsonl`: run on an uncensored host, records the control
 * (the test helper's answer: DNS, TCP/TLS to the addresses it resolves, the HTTP fetch) for each
 * target, so that `run --control-file control.jsonl` can compare with it later without reaching
 * any helper (volunteers who cannot reach one, reproducible CI runs). By default the answers are
 * measured here, with the helper's own code; `--control URL` asks a running helper instead. The
 * format is in src/runner/control-file.ts.
 */
import { Command, Option } from 'commander';
import { DEFAULTS } from '../../flows/defaults.js';
import type { FlowOptions } from '../../flows/index.js';
import type { Io } from '../io.js';
import { readAll } from '../io.js';
import { EXIT, exitCodeHelp } from '../exit-codes.js';
import { safeText } from '../escape.js';
import { collect, fileOption, intOption, parseHttpUrl, parseResolver, UsageError, readCaFiles } from '../options.js';

interface ControlFlags {
  inputFile: string[];
  output?: string;
  control?: string;
  resolver: FlowOptions['resolver'];
  caFile: string[];
  concurrency: number;
  timeout: number;
  skipInvalid?: boolean;
}

const EXAMPLES = `
Examples:
  $ censorprobe control -i list.txt -o control.jsonl                  measure the controls here (an uncensored host)
  $ censorprobe control -i global.csv --control https://helper.example.org/ -o control.jsonl
  $ censorprobe run -i list.txt --control-file control.jsonl         later, elsewhere: compare with them offline

${exitCodeHelp('control')}`;

/** Builds the `control` command. */
export function controlCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('control')
    .description('record the control (test helper answer) for each target into a file, for `run --control-file`')
    .argument('[urls...]', 'target URLs; none and no -i = the built-in default list')
    .option('-i, --input-file <file>', 'targets: one URL a line or a CSV with a url column; - = stdin (repeatable)', collect, [])
    .option('-o, --output <file>', 'the control file to write (- for standard output)', fileOption('-o'))
    .option('--control <url>', 'ask this running helper instead of measuring here', parseHttpUrl('--control'))
    .addOption(new Option('--resolver <spec>', "resolver for the local measurement: 'system', 'udp://IP[:PORT]' or a DoH URL").default({ kind: 'system' }, 'system').argParser(parseResolver))
    .option('--ca-file <file>', 'also trust the CA certificates in FILE (PEM) (repeatable)', collect, [])
    .option('-c, --concurrency <n>', 'targets at once', intOption('--concurrency', 1, 256), 8)
    .option('--timeout <ms>', 'budget of each step (and of a helper query), ms', intOption('--timeout', 100, 600_000), 15_000)
    .option('--skip-invalid', 'record the valid targets even when some input lines are invalid')
    .addHelpText('after', EXAMPLES)
    .action(async (urls: string[], flags: ControlFlags) => {
      setExit(await controlAction(urls, flags, io));
    });
}

async function controlAction(urls: string[], flags: ControlFlags, io: Io): Promise<number> {
  if (flags.output === undefined) throw new UsageError('control needs -o FILE (or -o - for standard output)');
  const [{ loadTargets, formatTargetError }, { buildThRequest, queryHelper }, { measureControl }, { createClock }, { CONTROL_KIND }, { SOFTWARE_VERSION }, { createReportWriter }] = await Promise.all([
    import('../../targets/index.js'),
    import('../../control/th-client.js'),
    import('../../control/helper-server.js'),
    import('../../net/index.js'),
    import('../../runner/control-file.js'),
    import('../../runner/version.js'),
    import('../../report/index.js'),
  ]);
  const extraCa = await readCaFiles(flags.caFile);
  const loaded = await loadTargets({ urls, inputFiles: flags.inputFile, readStdin: () => readAll(io.stdin) });
  for (const e of loaded.errors) io.stderr.write(`${safeText(formatTargetError(e))}\n`);
  if (loaded.errors.length > 0 && !flags.skipInvalid) {
    io.stderr.write(`${loaded.errors.length} invalid input line(s): fix them, or pass --skip-invalid to record the rest.\n`);
    return EXIT.USAGE;
  }
  if (loaded.targets.length === 0) {
    io.stderr.write('no targets: nothing to record.\n');
    return EXIT.USAGE;
  }
  const { claimReport } = await import('../report-path.js');
  const claim = await claimReport({ output: flags.output === '-' ? undefined : flags.output, json: flags.output === '-', cwd: io.cwd });
  const path = claim.path;
  // The report writer writes whole lines, serially (the same guarantees as a report).
  const writer = createReportWriter(path === null ? { stream: io.stdout } : { path });
  const timeouts = { dnsMs: Math.min(flags.timeout, DEFAULTS.dnsTimeoutMs), connectMs: flags.timeout, tlsMs: flags.timeout, httpMs: flags.timeout };
  const targets = loaded.targets;
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const url = (targets[next++] as { url: string }).url;
      const request = buildThRequest(url, []);
      const recordedAt = new Date().toISOString();
      let response = null;
      let failure: string | null = null;
      if (flags.control !== undefined) {
        const c = await queryHelper(flags.control, request, { clock: createClock(), timeoutMs: flags.timeout * 2, ...(extraCa.length > 0 ? { extraCa } : {}) });
        response = c.response;
        failure = c.failure;
      } else {
        try {
          response = await measureControl(request, {
            resolver: flags.resolver,
            timeouts,
            maxBodyBytes: 16 * 1024 * 1024,
            maxRedirects: DEFAULTS.maxRedirects,
            maxInFlight: 1,
            software: `censorprobe/${SOFTWARE_VERSION}`,
            ...(extraCa.length > 0 ? { extraCa } : {}),
          });
        } catch (e) {
          failure = `unknown_failure: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      if (failure !== null) failed++;
      const line = { kind: CONTROL_KIND, version: 1, input: url, recorded_at: recordedAt, source: flags.control ?? 'local', request, response, failure };
      await writer.write(line as never);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(flags.concurrency, targets.length) }, worker));
    await writer.close();
  } finally {
    await claim.release();
  }
  io.stderr.write(`${targets.length} control${targets.length === 1 ? '' : 's'} recorded${failed ? ` (${failed} without an answer)` : ''}${path !== null ? `: ${safeText(path)}` : ''}\n`);
  return EXIT.OK;
}
