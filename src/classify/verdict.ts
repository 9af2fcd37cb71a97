/**
 * Our verdict (docs/verdict-rules.md): the FIRST layer where the probe's step diverged from the
 * control's same step, walking the redirect chain hop by hop and, within a hop, DNS → TCP/IP →
 * TLS → HTTP failure → HTTP response (with throttling); whether the probe got the genuine content;
 * how sure we are; every layer that looked interfered with; the typed evidence; and the reasons
 * rendered from it.
 *
 * One pure analysis per layer (`layer-*.ts`) returns typed findings for one hop; `combine.ts`
 * decides; `reasons.ts` renders. Without a helper, `verdict-no-helper.ts` compares the DNS answer
 * with the DoH reference as a control and otherwise trusts only verified HTTPS. The deliberate
 * deviations from OONI's keys are listed in docs/verdict-rules.md. Pure: no I/O, no clock.
 */
import { isIP } from 'node:net';
import type { OoniAnalysis, Verdict, VerdictEvidence } from '../model/index.js';
import { combine, fingerprintIds } from './combine.js';
import type { VerdictContext } from './context.js';
import { curatedFingerprints } from './data/curated-fingerprints.js';
import { Cites, ev, type Finding } from './evidence.js';
import type { FingerprintSet } from './fingerprint.js';
import { answerAddrs, buildHop, controlForHop, depthsOf, hopTarget, primaryQueries } from './hops.js';
import { isLoopback } from './bogon.js';
import { analyzeDns } from './layer-dns.js';
import { analyzeHttpFailure, analyzeHttpResponse } from './layer-http.js';
import { analyzeTcp } from './layer-tcp.js';
import type { ThrottlingHook } from './layer-throttling.js';
import { analyzeTls } from './layer-tls.js';
import { createAsnLookup } from './ooni.js';
import { renderReasons } from './reasons.js';
import type { AsnLookup, ClassifyInput } from './types.js';
import { verdictWithoutHelper } from './verdict-no-helper.js';
import { urlHostname } from './web-observations.js';

export type { ThrottlingFinding, ThrottlingHook } from './layer-throttling.js';

/** Options of {@link classifyVerdict}. */
export interface VerdictOptions {
  /** Throttling detector (src/throttling/decision.ts `throttlingHook`); default: none. */
  detectThrottling?: ThrottlingHook;
  /**
   * Slow-server detector (src/throttling/slow-server.ts `slowServerHook`): a sentence with the
   * probe's rate when a body read that ran into its deadline after bytes arrived was slow for the
   * control too; the request is then a truncated success (accessible), not a failure. Default: none.
   */
  detectSlowServer?: ThrottlingHook;
  /**
   * IP-to-ASN hook for the DNS comparison (0 = unknown), asked after the ASNs recorded in the
   * answers and the helper's `ip_info`; default: none (e.g. pass `sharedAsnDatabase().lookup`).
   */
  asnLookup?: AsnLookup;
  /**
   * Blockpage and false-positive fingerprints; default (undefined): the curated set
   * (`data/curated-fingerprints.ts`); null: none.
   */
  fingerprints?: FingerprintSet | null;
}

/** The layer analyses of one hop, in order. */
const LAYERS = [analyzeDns, analyzeTcp, analyzeTls, analyzeHttpFailure, analyzeHttpResponse] as const;

/** newContext: the walk's context for one measurement. */
export function newContext(input: ClassifyInput, options: VerdictOptions, fps: FingerprintSet | null): VerdictContext {
  const resp = input.control.response;
  return {
    input, obs: input.observations, resp, fps,
    asn: createAsnLookup(resp, options.asnLookup, input.observations),
    cites: new Cites(input.observations),
    detectThrottling: options.detectThrottling,
    detectSlowServer: options.detectSlowServer,
    controlFetched: resp === null ? null : resp.http_request.failure === null,
    dnsDivergence: null,
    falsePositive: null,
  };
}

/** walkHops runs the layer analyses hop by hop until one ends the walk; the evidence and the last `accessible`. */
function walkHops(ctx: VerdictContext): { evidence: VerdictEvidence[]; accessible: boolean | null } {
  const resp = ctx.resp;
  if (resp === null) return { evidence: [], accessible: null };
  const depths = depthsOf(ctx.obs);
  const finalDepth = depths[depths.length - 1] ?? 0;
  const evidence: VerdictEvidence[] = [];
  let accessible: boolean | null = null;
  for (const depth of depths) {
    const { url, host } = hopTarget(ctx.obs, ctx.input.url, depth);
    const hop = buildHop(ctx.obs, ctx.input.url, depth, depth === finalDepth, controlForHop(resp, depth, depth === finalDepth, url, host));
    ctx.dnsDivergence = null;
    for (const analyze of LAYERS) {
      const f: Finding = analyze(ctx, hop);
      evidence.push(...f.evidence);
      if (analyze === analyzeDns) ctx.dnsDivergence = f.evidence.find((e) => e.layer === 'dns' && (e.effect === 'diverged' || e.effect === 'confirmed')) ?? null;
      if (f.accessible !== undefined) accessible = f.accessible;
      if (f.stop) return { evidence, accessible };
    }
  }
  return { evidence, accessible };
}

/**
 * classifyVerdict computes our {@link Verdict} from the observations, the control and the OONI keys
 * (used only to state where we deviate). `blocking` is the first diverging layer; `status` is `ok`,
 * `anomaly`, `confirmed` (forged certificate, or a blockpage fingerprint: ids in `fingerprints`),
 * `down` (the control failed the same way) or `inconclusive` (no usable control); `evidence` lists
 * the typed entries and `reasons` their sentences. Never throws on well-typed input.
 */
export function classifyVerdict(input: ClassifyInput, ooni: OoniAnalysis, options: VerdictOptions = {}): Verdict {
  const fps = options.fingerprints === undefined ? curatedFingerprints() : options.fingerprints;
  const ctx = newContext(input, options, fps);
  let evidence: VerdictEvidence[];
  let decision;
  if (ctx.resp === null) {
    ({ evidence, decision } = verdictWithoutHelper(ctx));
  } else {
    const walk = walkHops(ctx);
    evidence = walk.evidence;
    decision = combine(evidence, walk.accessible);
    const b = decision.blocking;
    if (b !== null && ooni.blocking !== b && !(ooni.blocking === false && decision.accessible === true)) {
      evidence.push(ev(b, 'ooni_deviation', 0, 'note', { detail: { ooni_blocking: JSON.stringify(ooni.blocking) } }));
    }
  }
  // Every inconclusive verdict says why (evidence is filled for every non-ok verdict).
  if (decision.status === 'inconclusive' && !evidence.some((e) => e.effect === 'inconclusive')) {
    evidence.push(ev('control', 'nothing_compared', 0, 'inconclusive', { figures: { hops: depthsOf(input.observations).length } }));
  }
  const loopback = undialedLoopback(input);
  if (loopback !== null) evidence.unshift(loopback);
  const verdict: Verdict = { ...decision, reasons: renderReasons(evidence), evidence };
  const ids = fingerprintIds(evidence);
  if (ids.length > 0) verdict.fingerprints = ids;
  return verdict;
}

/**
 * The note for a target whose addresses are all loopback, so that nothing was dialled (the probe
 * never connects to loopback: OONI `ipfiltering.go`); null otherwise.
 */
function undialedLoopback(input: ClassifyInput): VerdictEvidence | null {
  const obs = input.observations;
  if (obs.tcp_connect.length > 0) return null;
  const host = urlHostname(input.url);
  const addrs = isIP(host) !== 0 ? [host] : answerAddrs(primaryQueries(obs.queries, 0));
  if (addrs.length === 0 || !addrs.every((a) => isLoopback(a))) return null;
  return ev('dns', 'loopback_not_dialled', 0, 'note', { detail: { addrs } });
}
