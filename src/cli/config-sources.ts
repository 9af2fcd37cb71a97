/**
 * Option values from three places besides the command line, for every option of a command:
 * - a `CENSORPROBE_<NAME>` environment variable (`--dns-timeout` → `CENSORPROBE_DNS_TIMEOUT`,
 *   `--no-baselines` → `CENSORPROBE_BASELINES=false`); a repeatable option takes a comma-separated
 *   list; a switch takes 1/true/yes/on or 0/false/no/off;
 * - a JSON config file (`--config FILE`, or `CENSORPROBE_CONFIG`): an object whose keys are the long
 *   option names (`"dns-timeout": 500`, `"baselines": false` or `"no-baselines": true`,
 *   `"input-file": ["a.txt", "b.csv"]`);
 * - the defaults `--help` shows.
 * Precedence: command line, then environment, then config file, then default. Every value goes
 * through the option's own parser, so it is checked exactly as on the command line; a bad value is
 * a one-line error naming where it came from. {@link resolveOptions} is pure.
 */
import type { Command, Option } from 'commander';
import { parserMessage, UsageError } from './options.js';

/** What the resolver needs to know of one option. */
export interface OptionSpec {
  /** The value's key (commander's attribute name, e.g. `dnsTimeout`, `baselines` for `--no-baselines`). */
  key: string;
  /** The long flag without dashes (`dns-timeout`, `no-baselines`). */
  name: string;
  /** `CENSORPROBE_DNS_TIMEOUT`. */
  env: string;
  /** A switch, an option with one value, or a repeatable option. */
  kind: 'boolean' | 'value' | 'list';
  /** A `--no-x` switch (its value is false when given). */
  negate: boolean;
  /** The option's parser (`(value, previous) => parsed`); absent: the string itself. Throws for a bad value. */
  parse?: (value: string, previous: unknown) => unknown;
}

/** Where a value came from. */
export type ValueSource = 'cli' | 'env' | 'config' | 'default';

/** The command line's value of an option and whether the user gave it. */
export interface GivenValue {
  value: unknown;
  fromCli: boolean;
}

/** The parsed config file. */
export interface ConfigFile {
  /** As named by the user (in errors). */
  file: string;
  values: Record<string, unknown>;
}

/** `dnsTimeout` → `CENSORPROBE_DNS_TIMEOUT`. */
export function envName(key: string): string {
  return `CENSORPROBE_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

function parseSwitch(v: unknown, where: string): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  throw new UsageError(`${where}: expected true or false, got '${String(v).slice(0, 100)}'`);
}

function parseWith(spec: OptionSpec, raw: unknown, previous: unknown, where: string): unknown {
  if (typeof raw !== 'string' && typeof raw !== 'number') throw new UsageError(`${where}: expected a string or a number, got ${JSON.stringify(raw)?.slice(0, 100) ?? String(raw)}`);
  const s = String(raw);
  if (spec.parse === undefined) return spec.kind === 'list' ? [...(previous as unknown[]), s] : s;
  try {
    return spec.parse(s, previous);
  } catch (e) {
    throw new UsageError(`${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Parses one value from the environment or the config file. */
function fromSource(spec: OptionSpec, raw: unknown, where: string, fromEnv: boolean): unknown {
  if (spec.kind === 'boolean') return parseSwitch(raw, where);
  if (spec.kind === 'list') {
    const items = fromEnv ? String(raw).split(',').map((x) => x.trim()).filter((x) => x !== '') : Array.isArray(raw) ? raw : [raw];
    let acc: unknown = [];
    for (const item of items) acc = parseWith(spec, item, acc, where);
    return acc;
  }
  return parseWith(spec, raw, undefined, where);
}

/**
 * resolveOptions returns every option's value and its source: the command line's when given, else
 * the environment's (`spec.env`), else the config file's (key `spec.name`, or the name without
 * `no-` for a negated switch, which then takes the switch's own sense), else the default (the
 * command line's value). Throws {@link UsageError} for a bad value or an unknown config key. Pure.
 */
export function resolveOptions(
  specs: readonly OptionSpec[],
  given: Readonly<Record<string, GivenValue>>,
  env: Readonly<Record<string, string | undefined>>,
  config: ConfigFile | null,
): { values: Record<string, unknown>; sources: Record<string, ValueSource> } {
  const values: Record<string, unknown> = {};
  const sources: Record<string, ValueSource> = {};
  const configKeys = new Set(Object.keys(config?.values ?? {}));
  for (const spec of specs) {
    const g = given[spec.key];
    // Two specs can share a key (commander's `--x` and `--no-x`): the first one decides.
    if (Object.hasOwn(values, spec.key) && sources[spec.key] !== 'default') {
      configKeys.delete(spec.name);
      continue;
    }
    if (g?.fromCli === true) {
      values[spec.key] = g.value;
      sources[spec.key] = 'cli';
      configKeys.delete(spec.name);
      if (spec.negate) configKeys.delete(spec.name.slice(3));
      continue;
    }
    const e = env[spec.env];
    if (e !== undefined && e !== '') {
      values[spec.key] = fromSource(spec, e, spec.env, true);
      sources[spec.key] = 'env';
      configKeys.delete(spec.name);
      if (spec.negate) configKeys.delete(spec.name.slice(3));
      continue;
    }
    if (config !== null) {
      const direct = Object.hasOwn(config.values, spec.name) ? config.values[spec.name] : undefined;
      const positive = spec.negate && Object.hasOwn(config.values, spec.name.slice(3)) ? config.values[spec.name.slice(3)] : undefined;
      if (direct !== undefined) {
        const v = fromSource(spec, direct, `${config.file}: "${spec.name}"`, false);
        values[spec.key] = spec.negate ? !(v as boolean) : v;
        sources[spec.key] = 'config';
        configKeys.delete(spec.name);
        continue;
      }
      if (positive !== undefined) {
        values[spec.key] = fromSource(spec, positive, `${config.file}: "${spec.name.slice(3)}"`, false);
        sources[spec.key] = 'config';
        configKeys.delete(spec.name.slice(3));
        continue;
      }
    }
    values[spec.key] = g?.value;
    sources[spec.key] = 'default';
  }
  const unknown = [...configKeys].filter((k) => !specs.some((s) => s.name === k || (s.negate && s.name.slice(3) === k)));
  if (config !== null && unknown.length > 0) throw new UsageError(`${config.file}: unknown option${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => `"${k.slice(0, 60)}"`).join(', ')} (the keys are the long option names, e.g. "dns-timeout")`);
  return { values, sources };
}

/** The specs of a commander command's options (all but `--config` and help). */
export function specsOf(cmd: Command): OptionSpec[] {
  return cmd.options
    .filter((o: Option) => o.long !== undefined && o.long !== '--config' && o.long !== '--help')
    .map((o: Option) => {
      const key = o.attributeName();
      const kind: OptionSpec['kind'] = o.isBoolean() || (o.negate && !o.required && !o.optional) ? 'boolean' : Array.isArray(o.defaultValue) ? 'list' : 'value';
      return {
        key,
        name: (o.long as string).slice(2),
        env: envName(key),
        kind,
        negate: o.negate,
        ...(o.parseArg !== undefined ? { parse: o.parseArg as (v: string, p: unknown) => unknown } : {}),
      };
    });
}

/**
 * parseConfigText checks a config file's text: a JSON object. Throws {@link UsageError} naming
 * the file.
 */
export function parseConfigText(text: string, file: string): ConfigFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: bad JSON (${parserMessage(e)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${file}: expected a JSON object of option name → value`);
  return { file, values: value as Record<string, unknown> };
}
