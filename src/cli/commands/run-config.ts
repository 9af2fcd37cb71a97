/**
 * The one place where `run`'s options become a {@link RunConfig}: a pure function of the resolved
 * flags (command line, then CENSORPROBE_* environment, then --config file, then defaults; see
 * ../config-sources.ts) and of the resources the CLI loaded (fingerprints, CA certificates, the ASN
 * database). No hidden overrides: every value in the config is the flag's value or the default
 * `--help` states.
 */
import type { AsnLookup, FingerprintSet } from '../../classify/index.js';
import { DEFAULT_BASELINES, parseBaseline, type BaselineCheck } from '../../outage/index.js';
import type { AsnDbRecord } from '../../model/index.js';
import type { RunConfig } from '../../runner/config.js';
import { DEFAULT_THROTTLING } from '../../runner/throttling-check.js';
import type { ControlFile } from '../../runner/control-file.js';
import { UsageError } from '../options.js';
import type { RunFlags } from './run.js';

/** `--throttling-escalations` with `--throttling` and no explicit value: every target is tested. */
export const UNLIMITED_ESCALATIONS = 100_000;

/** What the CLI loaded for the run (files read, databases opened). */
export interface RunResources {
  fingerprints?: FingerprintSet;
  asnLookup?: AsnLookup;
  /** Name and version of the ASN database behind `asnLookup`, recorded in each line that used it. */
  asnDb?: AsnDbRecord;
  /** PEM texts of --ca-file. */
  extraCa: string[];
  /** DoH resolvers used when neither --doh nor --no-doh-default is given. */
  defaultDohResolvers: readonly string[];
  /** The loaded --control-file. */
  controlFile?: ControlFile;
}

/**
 * runConfigFrom builds the frozen run configuration. Pure; throws {@link UsageError} for a bad
 * `--baseline` spec. `throttling.maxEscalations` is `--throttling-escalations` when given, else 5
 * ({@link DEFAULT_THROTTLING}), or {@link UNLIMITED_ESCALATIONS} with `--throttling` (as `--help` says).
 */
export function runConfigFrom(flags: RunFlags, res: RunResources): RunConfig {
  return Object.freeze({
    ...(res.fingerprints !== undefined ? { fingerprints: res.fingerprints } : {}),
    ...(res.asnLookup !== undefined ? { asnLookup: res.asnLookup } : {}),
    ...(res.asnDb !== undefined ? { asnDb: res.asnDb } : {}),
    resolver: flags.resolver,
    timeouts: { dnsMs: flags.dnsTimeout, connectMs: flags.connectTimeout, tlsMs: flags.tlsTimeout, httpMs: flags.httpTimeout, controlMs: flags.controlTimeout },
    maxBodyBytes: flags.maxBody,
    maxRedirects: flags.maxRedirects,
    extraCa: [...res.extraCa],
    controlUrl: flags.control ?? null,
    dohResolvers: flags.doh.length > 0 ? [...flags.doh] : flags.dohDefault ? [...res.defaultDohResolvers] : [],
    concurrency: flags.concurrency,
    ...(flags.rateLimit !== undefined ? { rateLimit: flags.rateLimit } : {}),
    ...(res.controlFile !== undefined ? { controlFile: res.controlFile } : {}),
    throttling: {
      mode: flags.throttling ? ('always' as const) : ('auto' as const),
      pairs: flags.throttlingPairs,
      maxBytes: flags.throttlingBytes,
      timeoutMs: flags.throttlingTimeout,
      gapMs: flags.throttlingGap,
      windowMs: flags.throttlingWindow,
      budgetMs: flags.throttlingBudget,
      seed: flags.throttlingSeed ?? null,
      referenceName: flags.throttlingReference ?? null,
      maxEscalations: flags.throttlingEscalations ?? (flags.throttling ? UNLIMITED_ESCALATIONS : DEFAULT_THROTTLING.maxEscalations),
    },
    baselines: { checks: baselineChecks(flags), timeoutMs: flags.baselineTimeout, streak: flags.baselineStreak },
  });
}

/**
 * The baseline checks of a run: none with --no-baselines; the --baseline ones, else the defaults.
 * The helper is not one of them: control health is not network health (the preflight checks it,
 * docs/network-state.md).
 */
export function baselineChecks(flags: Pick<RunFlags, 'baselines' | 'baseline'>): BaselineCheck[] {
  if (!flags.baselines) return [];
  const specs = flags.baseline.length > 0 ? [...flags.baseline] : [...DEFAULT_BASELINES];
  return specs.map((spec) => {
    try {
      return parseBaseline(spec);
    } catch (e) {
      throw new UsageError(`--baseline: ${(e as Error).message}`);
    }
  });
}
