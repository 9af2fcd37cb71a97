import { describe, expect, it } from 'vitest';
import { envName, parseConfigText, resolveOptions, type GivenValue, type OptionSpec } from '../../../src/cli/config-sources.js';
import { collect, intOption } from '../../../src/cli/options.js';
import { runConfigFrom, UNLIMITED_ESCALATIONS } from '../../../src/cli/commands/run-config.js';
import type { RunFlags } from '../../../src/cli/commands/run.js';

const specs: OptionSpec[] = [
  { key: 'dnsTimeout', name: 'dns-timeout', env: 'CENSORPROBE_DNS_TIMEOUT', kind: 'value', negate: false, parse: intOption('--dns-timeout', 1, 600_000) },
  { key: 'inputFile', name: 'input-file', env: 'CENSORPROBE_INPUT_FILE', kind: 'list', negate: false, parse: collect as (v: string, p: unknown) => unknown },
  { key: 'baselines', name: 'no-baselines', env: 'CENSORPROBE_BASELINES', kind: 'boolean', negate: true },
  { key: 'json', name: 'json', env: 'CENSORPROBE_JSON', kind: 'boolean', negate: false },
  { key: 'control', name: 'control', env: 'CENSORPROBE_CONTROL', kind: 'value', negate: false },
];
const defaults: Record<string, GivenValue> = {
  dnsTimeout: { value: 4000, fromCli: false },
  inputFile: { value: [], fromCli: false },
  baselines: { value: true, fromCli: false },
  json: { value: undefined, fromCli: false },
  control: { value: undefined, fromCli: false },
};

describe('resolveOptions: command line > CENSORPROBE_* > config file > default', () => {
  it('names the variables after the options', () => {
    expect(envName('dnsTimeout')).toBe('CENSORPROBE_DNS_TIMEOUT');
    expect(envName('yes')).toBe('CENSORPROBE_YES');
    expect(envName('throttlingEscalations')).toBe('CENSORPROBE_THROTTLING_ESCALATIONS');
  });

  it('keeps defaults when nothing else is given', () => {
    const r = resolveOptions(specs, defaults, {}, null);
    expect(r.values).toEqual({ dnsTimeout: 4000, inputFile: [], baselines: true, json: undefined, control: undefined });
    expect(Object.values(r.sources).every((s) => s === 'default')).toBe(true);
  });

  it('takes the config file, then the environment over it, then the command line over both', () => {
    const config = parseConfigText(JSON.stringify({ 'dns-timeout': 500, 'input-file': ['a.txt', 'b.csv'], 'no-baselines': true, control: 'https://h.example/' }), 'c.json');
    const fromFile = resolveOptions(specs, defaults, {}, config);
    expect(fromFile.values).toMatchObject({ dnsTimeout: 500, inputFile: ['a.txt', 'b.csv'], baselines: false, control: 'https://h.example/' });
    expect(fromFile.sources['dnsTimeout']).toBe('config');
    const env = { CENSORPROBE_DNS_TIMEOUT: '700', CENSORPROBE_INPUT_FILE: 'x.txt, y.txt', CENSORPROBE_BASELINES: 'true', CENSORPROBE_JSON: '1' };
    const fromEnv = resolveOptions(specs, defaults, env, config);
    expect(fromEnv.values).toMatchObject({ dnsTimeout: 700, inputFile: ['x.txt', 'y.txt'], baselines: true, json: true, control: 'https://h.example/' });
    const cli = { ...defaults, dnsTimeout: { value: 900, fromCli: true }, baselines: { value: false, fromCli: true } };
    const fromCli = resolveOptions(specs, cli, env, config);
    expect(fromCli.values).toMatchObject({ dnsTimeout: 900, baselines: false });
    expect(fromCli.sources).toMatchObject({ dnsTimeout: 'cli', baselines: 'cli', inputFile: 'env', control: 'config' });
  });

  it('"baselines": false in the file means the same as "no-baselines": true', () => {
    expect(resolveOptions(specs, defaults, {}, parseConfigText('{"baselines": false}', 'c.json')).values['baselines']).toBe(false);
  });

  it.each([
    [{ CENSORPROBE_DNS_TIMEOUT: 'soon' }, null, /^CENSORPROBE_DNS_TIMEOUT: --dns-timeout must be a whole number/],
    [{ CENSORPROBE_JSON: 'maybe' }, null, /^CENSORPROBE_JSON: expected true or false/],
    [{}, '{"dns-timeout": 0}', /^c\.json: "dns-timeout": --dns-timeout must be between 1 and 600000/],
    [{}, '{"dns-timout": 500}', /^c\.json: unknown option "dns-timout"/],
    [{}, '{"control": {"url": 1}}', /^c\.json: "control": expected a string or a number/],
    [{}, '[1]', /^c\.json: expected a JSON object/],
  ])('a bad value is a one-line error naming where it came from (%j %s)', (env, text, message) => {
    expect(() => resolveOptions(specs, defaults, env, text === null ? null : parseConfigText(text, 'c.json'))).toThrow(message);
  });
});

describe('runConfigFrom: no hidden overrides', () => {
  const flags = (over: Partial<RunFlags>): RunFlags => ({
    inputFile: [], doh: [], dohDefault: true, resolver: { kind: 'system' }, caFile: [], concurrency: 8, dnsTimeout: 4000, connectTimeout: 10000,
    tlsTimeout: 10000, httpTimeout: 10000, controlTimeout: 30000, maxBody: 524288, maxRedirects: 10, fingerprints: [], throttlingPairs: 5,
    throttlingBytes: 524288, throttlingTimeout: 5000, throttlingGap: 500, baseline: [], baselines: false, baselineTimeout: 3000, baselineStreak: 5,
    progressInterval: 30000, controlMaxAge: 24, throttlingWindow: 2000, throttlingBudget: 30000, ...over,
  });
  const res = { extraCa: [], defaultDohResolvers: ['https://dns.example/dns-query'] };

  it('--throttling-escalations is honoured as given, also with --throttling (even when it equals the default)', () => {
    expect(runConfigFrom(flags({ throttling: true, throttlingEscalations: 5 }), res).throttling?.maxEscalations).toBe(5);
    expect(runConfigFrom(flags({ throttling: true }), res).throttling?.maxEscalations).toBe(UNLIMITED_ESCALATIONS);
    expect(runConfigFrom(flags({}), res).throttling?.maxEscalations).toBe(5);
    expect(runConfigFrom(flags({ throttlingEscalations: 0 }), res).throttling?.maxEscalations).toBe(0);
  });

  it('maps every flag to its config field', () => {
    const c = runConfigFrom(flags({ control: 'https://h.example/', dnsTimeout: 700, rateLimit: 3, doh: [] }), res);
    expect(c).toMatchObject({ controlUrl: 'https://h.example/', timeouts: { dnsMs: 700, connectMs: 10000, tlsMs: 10000, httpMs: 10000, controlMs: 30000 }, rateLimit: 3, concurrency: 8, maxBodyBytes: 524288, maxRedirects: 10 });
    expect(c.dohResolvers).toEqual(['https://dns.example/dns-query']);
    expect(runConfigFrom(flags({ dohDefault: false }), res).dohResolvers).toEqual([]);
    expect(runConfigFrom(flags({ doh: ['https://mine.example/q'] }), res).dohResolvers).toEqual(['https://mine.example/q']);
    expect(runConfigFrom(flags({}), res).baselines?.checks).toEqual([]);
    expect(Object.isFrozen(c)).toBe(true);
  });
});
