/**
 * The CLI entry: `main(argv, io)` builds the commander program, runs one command and returns the
 * exit code (it never calls process.exit on the normal path). The only src/ code that touches the
 * process (through {@link Io}), commander and chalk.
 */
import type { Command } from 'commander';
import { SOFTWARE_VERSION } from '../runner/version.js';
import type { Io } from './io.js';
import { processIo } from './io.js';
import { EXIT, exitCodeHelp } from './exit-codes.js';
import { safeLines, safeText } from './escape.js';
import { ReportLockedError, ReportWriteError } from '../report/errors.js';

/** A command's builder: its commander definition, given the process seams and the exit-code setter. */
type CommandFactory = (io: Io, setExit: (code: number) => void) => Command;

/**
 * The commands, in help order. Each module is imported only when its command runs (or for the
 * top-level help), so start-up does not pay for the measuring stack, the lab or the ASN data when
 * they are not used (`censorprobe --version` <= 150 ms, `npm run bench`). Adding a command: one line here.
 */
const COMMANDS: Record<string, () => Promise<CommandFactory>> = {
  run: async () => (await import('./commands/run.js')).runCommand,
  helper: async () => (await import('./commands/helper.js')).helperCommand,
  analyze: async () => (await import('./commands/analyze.js')).analyzeCommand,
  lab: async () => (await import('./commands/lab.js')).labCommand,
  check: async () => (await import('./commands/check.js')).checkCommand,
  diff: async () => (await import('./commands/diff.js')).diffCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  control: async () => (await import('./commands/control.js')).controlCommand,
};

/** The command modules `argv` needs: the named command only; none for --version; all otherwise (help, errors). */
function commandsFor(argv: string[]): string[] {
  const first = argv.find((a) => !a.startsWith('-'));
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) return [first];
  if (first === undefined && argv.length > 0 && argv.every((a) => a === '-V' || a === '--version')) return [];
  return Object.keys(COMMANDS);
}

const EXAMPLES = `
Examples:
  $ censorprobe run                          measure the built-in list of ~30 sites
  $ censorprobe run https://www.bbc.com/news  measure one URL
  $ censorprobe run -i list.txt --control http://helper.example.org:8080/ -o out.jsonl
  $ censorprobe helper --listen 0.0.0.0:8080 run a control helper on an uncensored host
  $ censorprobe lab run tlsBlockingConnectionResetWithConsistentDNS   watch the probe meet a censor, offline
  $ censorprobe report out.jsonl -o report.html   a self-contained page to read and share
  $ censorprobe check out.jsonl --expect expected.json   CI: fail with a diff when a verdict differs
  $ censorprobe diff monday.jsonl tuesday.jsonl    targets whose verdict changed
  $ censorprobe control -i list.txt -o control.jsonl   record controls here; later: run --control-file control.jsonl

Run 'censorprobe <command> --help' for a command's options.

${exitCodeHelp()}`;

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code from the one table
 * in `exit-codes.ts` (0 done, 1 internal error, 2 bad arguments or input, 4 report write error,
 * 5 report locked, 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM...). Every error message is
 * escaped for the terminal (`escape.ts`): file names and input lines are untrusted.
 */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  // `censorprobe --version` (the start-up figure of `npm run bench`) answers before commander and
  // the option parsers load, with commander's own output for it: the version and a newline.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout.write(`${SOFTWARE_VERSION}\n`);
    return EXIT.OK;
  }
  const [{ Command, CommanderError }, { UsageError }] = await Promise.all([import('commander'), import('./options.js')]);
  let exitCode = 0;
  const setExit = (code: number): void => {
    exitCode = code;
  };
  const program = new Command('censorprobe')
    .description('censorprobe: measure web censorship (DNS, TCP/IP, TLS/SNI, HTTP, blockpages) with evidence, OONI-compatible')
    .version(SOFTWARE_VERSION, '-V, --version')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(safeLines(s)), // commander's errors quote argv
    });
  const factories = await Promise.all(commandsFor(argv).map((name) => (COMMANDS[name] as () => Promise<CommandFactory>)()));
  for (const cmd of factories.map((make) => make(io, setExit))) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(safeLines(s)) });
    program.addCommand(cmd);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; parse errors were already printed by commander on one line.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    // One-line errors stay one line whatever they quote (file names, parser messages, input text).
    if (e instanceof UsageError) {
      io.stderr.write(`censorprobe: ${e.multiline ? safeLines(e.message) : safeText(e.message, 4000)}\n`);
      return EXIT.USAGE;
    }
    if (e instanceof ReportWriteError) {
      io.stderr.write(`censorprobe: ${safeText(e.message, 4000)}\n`);
      return EXIT.REPORT_WRITE;
    }
    if (e instanceof ReportLockedError) {
      io.stderr.write(`censorprobe: ${safeText(e.message, 4000)}\n`);
      return EXIT.REPORT_LOCKED;
    }
    io.stderr.write(`censorprobe: internal error: ${safeLines(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
    return EXIT.INTERNAL;
  }
}
