/**
 * The CLI entry: `main(argv, io)` builds the commander program, runs one command and returns the
 * exit code (it never calls process.exit on the normal path). The only src/ code that touches the
 * process (through {@link Io}), commander and chalk.
 */
import { Command, CommanderError } from 'commander';
import { SOFTWARE_VERSION } from '../runner/version.js';
import { helperCommand } from './commands/helper.js';
import { runCommand } from './commands/run.js';
import type { Io } from './io.js';
import { processIo } from './io.js';
import { UsageError } from './options.js';

const EXAMPLES = `
Examples:
  $ censorprobe run                          measure the built-in list of ~30 sites
  $ censorprobe run https://www.bbc.com/news  measure one URL
  $ censorprobe run -i list.txt --control http://helper.example.org:8080/ -o out.jsonl
  $ censorprobe helper --listen 0.0.0.0:8080 run a control helper on an uncensored host

Run 'censorprobe <command> --help' for a command's options.`;

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code: 0 done,
 * 1 internal error, 2 bad arguments or input, 130 interrupted.
 */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
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
      writeErr: (s) => void io.stderr.write(s),
    });
  for (const cmd of [runCommand(io, setExit), helperCommand(io, setExit)]) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });
    program.addCommand(cmd);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; parse errors were already printed by commander on one line.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      io.stderr.write(`censorprobe: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`censorprobe: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
