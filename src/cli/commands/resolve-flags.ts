/**
 * A command's flags completed from CENSORPROBE_* variables and a --config file (../config-sources.ts):
 * reads the config file named by `--config` or `CENSORPROBE_CONFIG`, then resolves every option.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseConfigText, resolveOptions, specsOf, type ConfigFile, type GivenValue } from '../config-sources.js';
import type { Io } from '../io.js';
import { UsageError } from '../options.js';

/** Returns the flags with every option resolved (command line > environment > config file > default). */
export async function resolveFlags<T>(cmd: Command, given: T, io: Io): Promise<T> {
  const file = (given as { config?: string }).config ?? (io.env['CENSORPROBE_CONFIG'] || undefined);
  let config: ConfigFile | null = null;
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--config ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    config = parseConfigText(text, file);
  }
  const specs = specsOf(cmd);
  const values: Record<string, GivenValue> = {};
  for (const s of specs) values[s.key] = { value: cmd.getOptionValue(s.key), fromCli: cmd.getOptionValueSource(s.key) === 'cli' };
  const resolved = resolveOptions(specs, values, io.env, config);
  return { ...given, ...resolved.values } as T;
}
