/**
 * One target, end to end: the probe's flow and the control in parallel (the control starts as
 * soon as the probe's depth-0 DNS is known, as OONI LTE does), then the pure classification, then
 * the report line. Never throws for network failures: every target yields a line.
 */
import { randomUUID } from 'node:crypto';
import type { ControlRecord, ReportRecord, ResolverIdentity, Target } from '../model/index.js';
import { createClock, readSystemResolvConf } from '../net/index.js';
import { DEFAULT_SNI_PROBE_SERVER_NAME, measureUrl } from '../flows/index.js';
import { buildThRequest, queryHelper } from '../control/th-client.js';
import { resolveReference } from '../control/dns-reference.js';
import { classify, renderReason, throttlingNotDetected } from '../classify/index.js';
import type { RunConfig } from './config.js';
import { slowServerHook, throttlingHook } from '../throttling/index.js';
import { checkThrottling, DEFAULT_THROTTLING } from './throttling-check.js';
import { trackAsnUse } from './asn-db.js';
import { recordEnvelope } from './record-envelope.js';
import { controlFromFile, staleControlVerdict } from './control-file.js';

/** Identity of the run a measurement belongs to. */
export interface RunContext {
  runId: string;
  /** ISO-8601 UTC. */
  testStartTime: string;
  /** The probe resolver's identity, found once per run (resolver-identity.ts); absent: not looked up. */
  resolverIdentity?: ResolverIdentity;
  /** Throttling escalations still allowed in this run (shared by the workers); absent: none. */
  throttlingBudget?: { left: number };
  /** /etc/resolv.conf as read once per run (where the HTTPS-record query goes with the system resolver). */
  resolvConf?: Promise<string>;
}

/** Creates a run context with a random run id. */
export function createRunContext(now: Date = new Date()): RunContext {
  return { runId: randomUUID(), testStartTime: now.toISOString() };
}

/**
 * Measures `target` and returns its report line.
 *
 * @param signal aborts the measurement (the flow's pending steps fail with `interrupted`)
 */
export async function measureTarget(target: Target, config: RunConfig, run: RunContext, signal?: AbortSignal): Promise<ReportRecord> {
  const startedAt = new Date();
  const clock = createClock();
  // Exactly one control request per target: the first call starts it (with the depth-0
  // addresses); the later call after the flow (for flows that never reported addresses) is a no-op.
  let startControl: (addrs: string[]) => void = () => undefined;
  const controlPromise = new Promise<ControlRecord>((resolve) => {
    let started = false;
    startControl = (addrs) => {
      if (started) return;
      started = true;
      resolve(runControl(target.url, addrs, config, clock, signal));
    };
  });
  const m = await measureUrl(target.url, {
    resolver: config.resolver,
    clock,
    timeouts: config.timeouts,
    maxBodyBytes: config.maxBodyBytes,
    maxRedirects: config.maxRedirects,
    extraCa: config.extraCa,
    onDepth0Addresses: (addrs) => startControl(addrs),
    sniProbeServerName: DEFAULT_SNI_PROBE_SERVER_NAME,
    sniProbeFirst: true, // residual blocking: the harmless name goes first (docs/throttling.md)
    httpsRecords: true, // ECH / HTTP/3 advertised in DNS: listed as untested (docs/measurement-model.md)
    readResolvConf: () => (run.resolvConf ??= readSystemResolvConf()), // once per run, not per hop
    ...(signal ? { signal } : {}),
  });
  // If the flow ended before reporting depth-0 addresses (e.g. an invalid URL), start it now.
  startControl([]);
  const control = await controlPromise;
  const throttling = await checkThrottling(m.observations, control, {
    config: config.throttling ?? { ...DEFAULT_THROTTLING, mode: 'off' },
    controlUrl: config.controlUrl,
    httpTimeoutMs: config.timeouts.httpMs,
    extraCa: config.extraCa,
    budget: run.throttlingBudget ?? { left: 0 },
    ...(signal ? { signal } : {}),
  });
  const escalation = throttling.escalation;
  const hook = throttlingHook(throttling);
  // The decision's numbers become the throttling evidence's figures (docs/verdict-rules.md).
  const detectThrottling = hook && escalation !== null ? () => ({ reason: hook(), decision: escalation.decision }) : hook;
  const detectSlowServer = slowServerHook(throttling, control);
  const asn = config.asnLookup !== undefined ? trackAsnUse(config.asnLookup) : undefined;
  const classified = classify({ url: target.url, observations: m.observations, control, resolverIdentity: run.resolverIdentity }, {
    ...(detectThrottling !== undefined ? { detectThrottling } : {}),
    ...(detectSlowServer !== undefined ? { detectSlowServer } : {}),
    ...(config.fingerprints !== undefined ? { fingerprints: config.fingerprints } : {}),
    ...(asn !== undefined ? { asnLookup: asn.lookup } : {}),
  });
  const ooni = classified.ooni;
  const verdict = staleControlVerdict(classified.verdict, control);
  // A throttling test that ran and found nothing still says so (with its numbers).
  if (escalation !== null && !escalation.decision.throttled) {
    // The reset check (docs/throttling.md "Reset check") is named as such: it looks for resets, not rates.
    const resetCheck = escalation.triggers.length > 0 && escalation.triggers.every((t) => t === 'reset_after_handshake');
    const arms = `the site's name, a harmless name on the same address${escalation.other_path_url ? " and the helper's reference stream (the other path)" : ''}`;
    const what = `${resetCheck ? 'reset check' : 'throttling test'} (${escalation.pairs} rounds of ${arms}; seed ${escalation.seed})`;
    const note = throttlingNotDetected(`${what}: ${escalation.decision.reasons[0] ?? escalation.decision.outcome}`, escalation.decision);
    verdict.evidence?.push(note);
    verdict.reasons.push(renderReason(note));
  }
  return {
    ...recordEnvelope(target, config, run, startedAt, round(clock.now())),
    ...(run.resolverIdentity !== undefined ? { resolver_identity: run.resolverIdentity } : {}),
    observations: m.observations,
    control,
    ooni,
    verdict,
    throttling,
    ...(asn?.used() === true && config.asnDb !== undefined ? { asn_db: config.asnDb } : {}),
  };
}

async function runControl(url: string, addrs: string[], config: RunConfig, clock: ReturnType<typeof createClock>, signal?: AbortSignal): Promise<ControlRecord> {
  const extraCa = config.extraCa.length > 0 ? { extraCa: config.extraCa } : {};
  if (config.controlFile !== undefined) return controlFromFile(config.controlFile, url, new Date(), clock.now());
  if (config.controlUrl !== null) {
    return queryHelper(config.controlUrl, buildThRequest(url, addrs), { clock, timeoutMs: config.timeouts.controlMs, ...extraCa, ...(signal ? { signal } : {}) });
  }
  const t0 = clock.now();
  if (config.dohResolvers.length === 0) {
    return { source: 'none', address: null, request: null, response: null, failure: 'unknown_failure: no control configured', dns_reference: null, t0, t: t0 };
  }
  const host = new URL(url).hostname;
  const ref = await resolveReference(host, config.dohResolvers, { clock, timeoutMs: config.timeouts.dnsMs, ...extraCa, ...(signal ? { signal } : {}) });
  const usable = ref !== null && (ref.failure === null || ref.failure === 'dns_nxdomain_error' || ref.failure === 'dns_no_answer');
  return {
    source: 'doh',
    address: ref?.resolver_address ?? null,
    request: null,
    response: null,
    // A DoH resolver nobody could reach makes the DNS control unavailable: a fact about the control,
    // neither an outage nor DNS blocking of the target (docs/network-state.md).
    failure: usable ? 'unknown_failure: no helper configured: DNS-only control' : `unknown_failure: no helper configured and the DNS control is unavailable: ${ref?.failure ?? 'no resolver'}`,
    dns_reference: ref,
    t0,
    t: clock.now(),
  };
}

function round(s: number): number {
  return Math.round(s * 1e6) / 1e6;
}
