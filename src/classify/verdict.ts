/**
 * Our verdict (field-notes.md section 2): the FIRST layer where the probe's step diverged from the
 * control's same step, walking the redirect chain hop by hop and, within a hop, DNS → TCP → TLS →
 * HTTP; whether the probe got the genuine content; how sure we are; every layer that looked
 * interfered with; and short reasons with the numbers.
 *
 * Deliberate deviations from OONI's LTE keys (each stated in the reasons when it changes the
 * answer): TLS interference is `tls`, not `http-failure`; a certificate that fails verification
 * while the control's verified is `tls`/`confirmed` (forged certificate); failures after a redirect
 * name their layer from the helper's per-hop control (`x_censorprobe.hops`); DNS answers that
 * differ from the control but verify over TLS for the name are not DNS blocking (CDN); a DNS
 * answer pointing at a transparent proxy that served the genuine page is `dns` with
 * `accessible: true`; without a helper, only the DoH reference (`control.dns_reference`) or a
 * verified HTTPS success can decide, otherwise the verdict is `inconclusive` (an offline machine
 * never yields "blocked"). Evidence beyond OONI: a TLS failure is compared with the flow's repeated
 * handshake to the same address with a harmless SNI (`sni_probe`: SNI filtering vs the address);
 * a strong blockpage fingerprint (page or DNS answer) makes the verdict `confirmed`, even without a
 * usable control; a false-positive fingerprint (CDN challenge, consent wall) keeps a differing page
 * from being `http-diff` (peers-and-methods 1.4, 4.3; ooni/probe#2528); DNS answers are compared
 * by address, then ASN (recorded answers, helper `ip_info`, then the `asnLookup` hook), NAT64
 * answers unwrapped, and an https address verified by TLS (ours, or the helper's `ip_info` flag 8)
 * is genuine.
 *
 * Pure: no I/O, no clock.
 */
import { isIP } from 'node:net';
import {
  SNI_PROBE_TAG,
  type DnsQueryObservation,
  type HttpRequestObservation,
  type OoniAnalysis,
  type TcpConnectObservation,
  type ThResponse,
  type TlsHandshakeObservation,
  type Verdict,
  type VerdictBlocking,
  type VerdictStatus,
} from '../model/index.js';
import { unwrapNat64 } from './asn.js';
import { isBogon, isLoopback } from './bogon.js';
import { curatedFingerprints } from './data/curated-fingerprints.js';
import { describeMatch, matchDnsAnswers, matchHttpResponse, type FingerprintMatch, type FingerprintSet } from './fingerprint.js';
import { compareHttpResponses, isHttpDiff, type HttpDiffMetrics } from './http-diff.js';
import { createAsnLookup } from './ooni.js';
import type { AsnLookup, ClassifyInput } from './types.js';
import { joinHostPort, urlHostname } from './web-observations.js';

type Layer = Exclude<VerdictBlocking, null>;

/** TLS failures that mean the certificate did not verify (as opposed to interference). */
const CERTIFICATE_FAILURES: ReadonlySet<string> = new Set(['ssl_invalid_hostname', 'ssl_unknown_authority', 'ssl_invalid_certificate']);

/**
 * ThrottlingHook is the seam for the later throttling detector (field-notes section 5): given the
 * input, it returns a reason sentence with the measured figures when the probe's transfer was
 * throttled, else null. The default never detects throttling.
 */
export type ThrottlingHook = (input: ClassifyInput) => string | null;

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

/** What the control says about one hop of the chain (depth). */
interface HopControl {
  dns: { failure: string | null; addrs: string[] } | null;
  tcp: Record<string, { status: boolean; failure: string | null }>;
  tls: Record<string, { server_name: string; status: boolean; failure: string | null }>;
  /** The control's response at this hop (per-hop) or, for the final hop, its final response. */
  http: { failure: string | null; status_code: number; body_length: number; header_names: string[]; title: string } | null;
}

/** Accumulates the walk. */
class Walk {
  layers: Layer[] = [];
  reasons: string[] = [];
  down = false;
  confirmed = false;
  accessible: boolean | null = null;
  /** Ids of the fingerprints that matched (blockpages and false positives). */
  fingerprints: string[] = [];
  /** Records a fingerprint match (once per id). */
  fingerprint(m: FingerprintMatch): void {
    if (!this.fingerprints.includes(m.fingerprint.id)) this.fingerprints.push(m.fingerprint.id);
  }
  diverge(layer: Layer, reason: string): void {
    if (!this.layers.includes(layer)) this.layers.push(layer);
    this.reasons.push(reason);
  }
  get first(): Layer | null {
    return this.layers[0] ?? null;
  }
}

/**
 * Failures that are a resolver's answer about the name (NXDOMAIN, no data, SERVFAIL, REFUSED; the
 * helper's legacy `dns_name_error` / `dns_server_failure`), as opposed to not reaching a resolver
 * (timeouts, refused or unreachable transport, getaddrinfo's ambiguous EAI_AGAIN).
 */
const RESOLVER_ANSWERS: ReadonlySet<string> = new Set(['dns_nxdomain_error', 'dns_no_answer', 'dns_servfail_error', 'dns_refused_error', 'dns_name_error', 'dns_server_failure']);

function isResolverAnswer(failure: string): boolean {
  return RESOLVER_ANSWERS.has(failure);
}

function fmt(addrs: readonly string[]): string {
  return addrs.length === 0 ? 'no address' : addrs.join(', ');
}

/** `93.184.216.34 (AS15133), 10.0.0.1` : addresses with their ASN where known. */
function fmtAsn(addrs: readonly string[], asn: AsnLookup): string {
  if (addrs.length === 0) return 'no address';
  return addrs.map((a) => {
    const n = asn(unwrapNat64(a));
    return n > 0 ? `${a} (AS${n})` : a;
  }).join(', ');
}

/** How a TLS failure happened, in words: `reset after ClientHello`, ... */
function tlsFailureWords(failure: string): string {
  switch (failure) {
    case 'connection_reset': return 'reset after ClientHello';
    case 'eof_error': return 'closed (EOF) after ClientHello';
    case 'generic_timeout_error': return 'timed out after ClientHello';
    default: return `failed with ${failure}`;
  }
}

/**
 * The sentence about the repeated handshake with a harmless SNI (flows `sni_probe`), or null when
 * none was made for `h`. A probe handshake that completed (even with a certificate not valid for
 * the harmless name) shows the address answers TLS: the first failure was SNI-triggered.
 */
function sniProbeSentence(obs: ClassifyInput['observations'], h: TlsHandshakeObservation): { sentence: string; sniFiltering: boolean } | null {
  const probe = obs.tls_handshakes.find((x) => hasTag(x.tags, SNI_PROBE_TAG) && x.address === h.address && x.depth === h.depth);
  const failure = h.failure ?? '';
  const head = `TLS handshake with ${h.address} ${tlsFailureWords(failure)} with SNI ${h.server_name}`;
  if (probe === undefined) {
    const tcp = obs.tcp_connect.find((c) => hasTag(c.tags, SNI_PROBE_TAG) && joinHostPort(c.ip, c.port) === h.address && c.depth === h.depth && c.status.failure !== null);
    if (tcp === undefined) return null;
    return { sentence: `${head}; a new connection to the same address for SNI comparison failed (${tcp.status.failure ?? ''})`, sniFiltering: false };
  }
  if (probe.failure === null || CERTIFICATE_FAILURES.has(probe.failure)) {
    return { sentence: `${head}; same address with SNI ${probe.server_name} completed: SNI-based filtering`, sniFiltering: true };
  }
  return {
    sentence: `${head}; same address with SNI ${probe.server_name} also failed (${probe.failure}): interference with the address for any SNI (IP-level)`,
    sniFiltering: false,
  };
}

function hasTag(tags: readonly string[], tag: string): boolean {
  return tags.includes(tag);
}

/** The probe's primary-resolver lookups at `depth`: getaddrinfo or tagged `classic`; else every non-DoH lookup. */
function primaryQueries(queries: readonly DnsQueryObservation[], depth: number): DnsQueryObservation[] {
  const atDepth = queries.filter((q) => q.depth === depth);
  const classic = atDepth.filter((q) => q.engine === 'getaddrinfo' || hasTag(q.tags, 'classic'));
  return classic.length > 0 ? classic : atDepth.filter((q) => q.engine !== 'doh');
}

function answerAddrs(queries: readonly DnsQueryObservation[]): string[] {
  const out = new Set<string>();
  for (const q of queries) {
    if (q.failure !== null) continue;
    for (const a of q.answers) {
      if (a.answer_type === 'A' && a.ipv4) out.add(a.ipv4);
      if (a.answer_type === 'AAAA' && a.ipv6) out.add(a.ipv6);
    }
  }
  return [...out];
}

/** The failure that explains an empty answer: the first failure that is not AAAA `dns_no_answer`. */
function lookupFailure(queries: readonly DnsQueryObservation[]): string | null {
  const failed = queries.filter((q) => q.failure !== null);
  const meaningful = failed.find((q) => !(q.query_type === 'AAAA' && q.failure === 'dns_no_answer'));
  return (meaningful ?? failed[0])?.failure ?? null;
}

/** The probe's fetch endpoints at `depth`: not tagged `fetch_body=false`, and tagged `classic` or on a primary address. */
function primaryEndpoints(connects: readonly TcpConnectObservation[], depth: number, addrs: readonly string[]): TcpConnectObservation[] {
  const atDepth = connects.filter((c) => c.depth === depth && !hasTag(c.tags, 'fetch_body=false') && !hasTag(c.tags, SNI_PROBE_TAG));
  const primary = atDepth.filter((c) => hasTag(c.tags, 'classic') || addrs.includes(c.ip));
  if (primary.length > 0) return primary;
  // IP-literal URLs or redirects to addresses we did not resolve: every endpoint of the hop.
  return addrs.length === 0 ? atDepth : [];
}

function controlForHop(resp: ThResponse, depth: number, finalDepth: number): HopControl {
  const hop = resp.x_censorprobe?.hops.find((h) => h.depth === depth);
  const finalHttp = resp.http_request;
  const legacyHttp = {
    failure: finalHttp.failure,
    status_code: finalHttp.status_code,
    body_length: finalHttp.body_length,
    header_names: Object.keys(finalHttp.headers),
    title: finalHttp.title,
  };
  if (hop) {
    const h = hop.http_request;
    return {
      dns: { failure: hop.dns.failure, addrs: hop.dns.addrs },
      tcp: hop.tcp_connect,
      tls: hop.tls_handshake,
      http: h
        ? { failure: h.failure, status_code: h.status_code, body_length: h.body_length, header_names: Object.keys(h.headers), title: h.title }
        : depth === finalDepth ? legacyHttp : null,
    };
  }
  if (depth === 0) {
    return { dns: resp.dns, tcp: resp.tcp_connect, tls: resp.tls_handshake ?? {}, http: depth === finalDepth ? legacyHttp : null };
  }
  return { dns: null, tcp: {}, tls: {}, http: depth === finalDepth ? legacyHttp : null };
}

function isVerified(h: TlsHandshakeObservation): boolean {
  return h.failure === null && !h.no_tls_verify;
}

function isFinalCode(code: number): boolean {
  return code < 300 || code >= 400;
}

function describeDiff(d: HttpDiffMetrics, probe: HttpRequestObservation, control: NonNullable<HopControl['http']>): string {
  const code = probe.response?.code ?? 0;
  const len = probe.response?.body_length ?? 0;
  const proportion = d.body_length_match === null ? 'proportion not computed: empty or truncated body' : `proportion ${d.body_proportion.toFixed(2)}`;
  return `status ${code} vs control ${control.status_code}, body ${len} vs ${control.body_length} bytes ` +
    `(${proportion}), headers_match ${String(d.headers_match)}, ` +
    `title "${probe.response?.title ?? ''}" vs "${control.title}"`;
}

/**
 * Verdict without a helper: a strong blockpage fingerprint (DNS answer or page) confirms even
 * without a control (ooni/explorer#498); else the DoH reference for DNS, a verified HTTPS success,
 * else inconclusive.
 */
function verdictWithoutHelper(input: ClassifyInput, fps: FingerprintSet | null): Verdict {
  const obs = input.observations;
  const reasons: string[] = [`no helper control (${input.control.failure ?? 'none requested'})`];
  if (fps !== null) {
    const dnsHit = matchDnsAnswers(fps, obs.queries.filter((q) => q.engine !== 'doh'));
    if (dnsHit !== null && dnsHit.fingerprint.kind === 'blockpage' && !dnsHit.weak) {
      reasons.push(`${dnsHit.where} is a known blockpage address: ${describeMatch(dnsHit)}`);
      return { blocking: 'dns', accessible: false, status: 'confirmed', layers: ['dns'], reasons, fingerprints: [dnsHit.fingerprint.id] };
    }
    for (const r of obs.requests) {
      const hit = matchHttpResponse(fps, r);
      if (hit === null) continue;
      if (hit.fingerprint.kind === 'blockpage' && !hit.weak) {
        reasons.push(`the ${hit.where} is a known blockpage: ${describeMatch(hit)}`);
        return { blocking: 'http-diff', accessible: false, status: 'confirmed', layers: ['http-diff'], reasons, fingerprints: [hit.fingerprint.id] };
      }
      if (hit.fingerprint.kind === 'false_positive') reasons.push(`the ${hit.where} matches ${describeMatch(hit)}: not censorship`);
    }
  }
  for (const h of obs.tls_handshakes) {
    if (hasTag(h.tags, SNI_PROBE_TAG) || h.failure === null) continue;
    const sni = sniProbeSentence(obs, h);
    if (sni !== null) {
      reasons.push(sni.sentence);
      break;
    }
  }
  const verifiedFinal = obs.requests.find((r) => r.failure === null && r.response !== null && isFinalCode(r.response.code) &&
    r.request.url.startsWith('https:') &&
    obs.tls_handshakes.some((h) => h.transaction_id === r.transaction_id && isVerified(h)));
  const ref = input.control.dns_reference;
  const queries = primaryQueries(obs.queries, 0);
  const addrs = answerAddrs(queries);
  if (ref && ref.failure === null && ref.addrs.length > 0 && queries.length > 0) {
    const failure = lookupFailure(queries);
    if (addrs.length === 0 && failure !== null) {
      reasons.push(`probe resolver failed with ${failure}; DoH reference ${ref.resolver_address} resolved ${fmt(ref.addrs)}`);
      return { blocking: 'dns', accessible: false, status: 'anomaly', layers: ['dns'], reasons };
    }
    const bogons = addrs.filter((a) => isBogon(a));
    if (addrs.length > 0 && bogons.length === addrs.length && !ref.addrs.some((a) => isBogon(a))) {
      reasons.push(`probe resolver returned ${fmt(addrs)} (bogon); DoH reference ${ref.resolver_address} resolved ${fmt(ref.addrs)}`);
      return { blocking: 'dns', accessible: false, status: 'anomaly', layers: ['dns'], reasons };
    }
  }
  if (verifiedFinal?.response) {
    reasons.push(`HTTPS fetch of ${verifiedFinal.request.url} verified the certificate and returned ${verifiedFinal.response.code} ` +
      `(${verifiedFinal.response.body_length} bytes): the content is genuine`);
    return { blocking: null, accessible: true, status: 'ok', layers: [], reasons };
  }
  reasons.push('nothing to compare the probe with: inconclusive (never "blocked" without a control)');
  return { blocking: null, accessible: null, status: 'inconclusive', layers: [], reasons };
}

/**
 * classifyVerdict computes our {@link Verdict} from the observations, the control and the OONI keys
 * (used only to state where we deviate). `blocking` is the first diverging layer (`dns`, `tcp_ip`,
 * `tls`, `http-failure`, `http-diff`, `throttling` via {@link VerdictOptions.detectThrottling});
 * `status` is `ok`, `anomaly`, `confirmed` (forged certificate, or a blockpage fingerprint matched:
 * ids in `fingerprints`), `down` (the control failed the same
 * way: blocking null, accessible false) or `inconclusive` (no usable control). Never throws on
 * well-typed input.
 */
export function classifyVerdict(input: ClassifyInput, ooni: OoniAnalysis, options: VerdictOptions = {}): Verdict {
  const verdict = classifyVerdictOf(input, ooni, options);
  const loopback = undialedLoopback(input);
  if (loopback !== null) verdict.reasons.unshift(loopback);
  return verdict;
}

/**
 * The sentence for a target whose addresses are all loopback, so that nothing was dialed (the probe
 * never connects to loopback: OONI `ipfiltering.go`); null otherwise.
 */
function undialedLoopback(input: ClassifyInput): string | null {
  const obs = input.observations;
  if (obs.tcp_connect.length > 0) return null;
  const host = urlHostname(input.url);
  const addrs = isIP(host) !== 0 ? [host] : answerAddrs(primaryQueries(obs.queries, 0));
  if (addrs.length === 0 || !addrs.every((a) => isLoopback(a))) return null;
  return `${fmt(addrs)} ${addrs.length === 1 ? 'is a loopback address' : 'are loopback addresses'}: the probe does not connect to loopback, so nothing was measured there`;
}

function classifyVerdictOf(input: ClassifyInput, ooni: OoniAnalysis, options: VerdictOptions): Verdict {
  const resp = input.control.response;
  const fps = options.fingerprints === undefined ? curatedFingerprints() : options.fingerprints;
  if (resp === null) return verdictWithoutHelper(input, fps);

  const obs = input.observations;
  const host = urlHostname(input.url);
  const asn = createAsnLookup(resp, options.asnLookup, obs);
  const depths = [...new Set([...obs.queries, ...obs.tcp_connect, ...obs.tls_handshakes, ...obs.requests].map((o) => o.depth))].sort((a, b) => a - b);
  if (depths.length === 0) depths.push(0);
  const finalDepth = depths[depths.length - 1] ?? 0;
  const w = new Walk();
  let falsePositive: FingerprintMatch | null = null;

  for (const depth of depths) {
    const control = controlForHop(resp, depth, finalDepth);
    const hopUrl = obs.requests.find((r) => r.depth === depth)?.request.url ?? (depth === 0 ? input.url : '');
    const hopHost = urlHostname(hopUrl) || primaryQueries(obs.queries, depth)[0]?.hostname || host;
    const where = depth === 0 ? '' : ` after ${depth} redirect${depth > 1 ? 's' : ''}`;

    // DNS
    const queries = primaryQueries(obs.queries, depth);
    const addrs = answerAddrs(queries);
    let dnsDiverged = false;
    if (queries.length > 0) {
      const failure = addrs.length === 0 ? lookupFailure(queries) : null;
      const ctl = control.dns;
      if (failure !== null) {
        if (ctl === null) {
          if (resp.http_request.failure === null) {
            w.diverge('dns', `probe resolver failed with ${failure} for ${hopHost}${where}; no DNS control for this hop, but the control fetched the page through it`);
          } else {
            w.reasons.push(`probe resolver failed with ${failure} for ${hopHost}${where}; no DNS control for this hop and the control's fetch failed (${resp.http_request.failure})`);
          }
          w.accessible = false;
          break;
        }
        if (ctl.failure !== null || ctl.addrs.length === 0) {
          if (!isResolverAnswer(failure) || (ctl.failure !== null && !isResolverAnswer(ctl.failure))) {
            // A resolver that could not be reached says nothing about the name: not "down".
            const unreachable = !isResolverAnswer(failure) ? (ctl.failure !== null && !isResolverAnswer(ctl.failure) ? 'neither resolver answered' : "the probe's resolver did not answer") : "the control's resolver did not answer";
            w.reasons.push(`probe resolver failed with ${failure} for ${hopHost}${where}; control failed with ${ctl.failure ?? 'no address'}: ${unreachable}, so nothing is known about the name`);
            break;
          }
          w.down = true;
          w.accessible = false;
          w.reasons.push(`probe resolver failed with ${failure} for ${hopHost}${where}; control failed too (${ctl.failure ?? 'no address'}): the name does not resolve`);
          break;
        }
        w.diverge('dns', `probe resolver failed with ${failure} for ${hopHost}${where}; control resolved ${fmt(ctl.addrs)}`);
        w.accessible = false;
        break;
      }
      if (ctl !== null && addrs.length > 0) {
        // NAT64 (64:ff9b::/96) answers are compared as the IPv4 address they embed.
        const plain = addrs.map(unwrapNat64);
        const shared = plain.filter((a) => ctl.addrs.includes(a));
        const allBogon = plain.every((a) => isBogon(a));
        const controlBogon = ctl.addrs.length > 0 && ctl.addrs.every((a) => isBogon(a));
        const dnsHit = fps === null ? null : matchDnsAnswers(fps, queries);
        const blockpageAddr = dnsHit !== null && dnsHit.fingerprint.kind === 'blockpage' && !dnsHit.weak ? dnsHit : null;
        if (blockpageAddr !== null) {
          dnsDiverged = true;
          w.confirmed = true;
          w.fingerprint(blockpageAddr);
          w.diverge('dns', `probe resolver returned ${fmtAsn(addrs, asn)} for ${hopHost}${where}; control ${ctl.addrs.length > 0 ? `resolved ${fmtAsn(ctl.addrs, asn)}` : `found no address (${ctl.failure ?? 'empty answer'})`}; ` +
            `${blockpageAddr.where} is a known blockpage address: ${describeMatch(blockpageAddr)}`);
        } else if (ctl.failure !== null && ctl.failure !== 'dns_name_error' && ctl.failure !== 'dns_nxdomain_error') {
          // The control's resolver had a problem of its own (legacy strings: dns_server_failure, unknown_error).
          w.reasons.push(`control's DNS failed with ${ctl.failure} for ${hopHost}${where}; probe resolved ${fmt(addrs)}: DNS not compared`);
        } else if (ctl.addrs.length === 0) {
          dnsDiverged = true;
          w.diverge('dns', `probe resolver returned ${fmt(addrs)} for ${hopHost}${where}; control found no address (${ctl.failure ?? 'empty answer'})`);
        } else if (allBogon && !controlBogon) {
          dnsDiverged = true;
          w.diverge('dns', `probe resolver returned ${fmt(addrs)} (bogon) for ${hopHost}${where}; control resolved ${fmtAsn(ctl.addrs, asn)}`);
        } else if (allBogon && controlBogon && shared.length > 0) {
          w.down = true;
          w.accessible = false;
          w.reasons.push(`${hopHost} resolves to ${fmt(addrs)} (bogon) for the probe and the control alike: the site is misconfigured or down`);
          break;
        } else if (shared.length === 0) {
          // ASNs only now (the database is loaded lazily on the first lookup, off the common path).
          const probeAsns = new Set(plain.map(asn).filter((n) => n > 0));
          const commonAsn = ctl.addrs.map(asn).find((n) => probeAsns.has(n));
          // Only on the fetch path (https): over http a verified handshake on 443 may be an SNI proxy.
          const verifiedAt = hopUrl.startsWith('https:') && obs.tls_handshakes.find((h) => h.depth === depth && isVerified(h) && h.server_name === hopHost &&
            !hasTag(h.tags, SNI_PROBE_TAG) && addrs.some((a) => h.address === joinHostPort(a, h.address.slice(h.address.lastIndexOf(':') + 1))));
          const helperVerified = depth === 0 && hopUrl.startsWith('https:') ? plain.find((a) => ((resp.ip_info?.[a]?.flags ?? 0) & 8) !== 0) : undefined;
          if (commonAsn !== undefined) {
            w.reasons.push(`probe resolver returned ${fmtAsn(addrs, asn)} for ${hopHost}${where}, control resolved ${fmtAsn(ctl.addrs, asn)}: ` +
              `different addresses in the same network (AS${commonAsn}), consistent`);
          } else if (verifiedAt) {
            w.reasons.push(`probe resolver returned ${fmtAsn(addrs, asn)}, control resolved ${fmtAsn(ctl.addrs, asn)}, but the TLS handshake with ` +
              `${verifiedAt.address} verified the certificate for ${hopHost}: the address serves the genuine site (a CDN, or a proxy passing TLS through), not DNS blocking`);
          } else if (helperVerified !== undefined) {
            w.reasons.push(`probe resolver returned ${fmtAsn(addrs, asn)}, control resolved ${fmtAsn(ctl.addrs, asn)}, but the helper's TLS handshake with ` +
              `${helperVerified} verified the certificate for ${hopHost} (ip_info flag 8): the address serves the genuine site, not DNS blocking`);
          } else {
            dnsDiverged = true;
            w.diverge('dns', `probe resolver returned ${fmtAsn(addrs, asn)} for ${hopHost}${where}; control resolved ${fmtAsn(ctl.addrs, asn)} (no common address or ASN)`);
          }
        }
      }
    }

    // TCP
    const endpoints = primaryEndpoints(obs.tcp_connect, depth, addrs);
    const connected = endpoints.filter((c) => c.status.failure === null);
    if (endpoints.length > 0 && connected.length === 0) {
      const failures = endpoints.map((c) => `${joinHostPort(c.ip, c.port)} ${c.status.failure ?? ''}`).join(', ');
      const ctl = endpoints.map((c) => control.tcp[joinHostPort(c.ip, c.port)]).filter((x) => x !== undefined);
      if (ctl.some((x) => x.status)) {
        w.diverge('tcp_ip', `TCP connect${where} failed (${failures}); control connected to the same address`);
      } else if (ctl.length > 0) {
        w.down = !dnsDiverged;
        w.reasons.push(`TCP connect${where} failed (${failures}); control failed too (${ctl.map((x) => x.failure ?? '').join(', ')})`);
      } else if (dnsDiverged) {
        w.reasons.push(`TCP connect${where} to the diverging DNS answer failed (${failures})`);
      } else if (control.http?.failure === null || resp.http_request.failure === null) {
        w.diverge('tcp_ip', `TCP connect${where} failed (${failures}); no per-endpoint control, but the control fetched the page`);
      } else {
        w.reasons.push(`TCP connect${where} failed (${failures}); no control for this endpoint`);
      }
      w.accessible = false;
      break;
    }

    // TLS
    const txids = new Set(endpoints.map((c) => c.transaction_id));
    // Scoped to the primary endpoints, except for IP-literal hops (no lookup, no primary endpoint).
    const scoped = endpoints.length > 0 || addrs.length > 0;
    const handshakes = obs.tls_handshakes.filter((h) => h.depth === depth && !hasTag(h.tags, SNI_PROBE_TAG) && (!scoped || txids.has(h.transaction_id)));
    if (handshakes.length > 0 && !handshakes.some((h) => h.failure === null)) {
      const h = handshakes[0] as TlsHandshakeObservation;
      const failure = h.failure ?? '';
      const ctl = handshakes.map((x) => control.tls[x.address]).find((x) => x !== undefined && x.server_name === h.server_name);
      const isCert = CERTIFICATE_FAILURES.has(failure);
      if (ctl && ctl.status) {
        if (isCert) {
          w.confirmed = true;
          const issuer = h.peer_certificates_summary[0]?.issuer;
          w.diverge('tls', `TLS handshake with ${h.address} (SNI ${h.server_name})${where} failed with ${failure}` +
            `${issuer ? ` (certificate issued by ${issuer})` : ''}; control's certificate verified: forged certificate`);
        } else {
          w.diverge('tls', `TLS handshake with ${h.address} (SNI ${h.server_name})${where} failed with ${failure}; ` +
            `control's handshake with the same address and SNI succeeded (OONI calls this http-failure)`);
          const sni = sniProbeSentence(obs, h);
          if (sni !== null) w.reasons.push(sni.sentence);
        }
      } else if (ctl) {
        w.down = !dnsDiverged;
        w.reasons.push(`TLS handshake with ${h.address} (SNI ${h.server_name})${where} failed with ${failure}; control failed too (${ctl.failure ?? ''})`);
      } else if (dnsDiverged) {
        w.reasons.push(`TLS handshake with the diverging DNS answer ${h.address} failed with ${failure}`);
      } else if (resp.http_request.failure === null) {
        w.diverge('tls', `TLS handshake with ${h.address} (SNI ${h.server_name})${where} failed with ${failure}; no per-endpoint control, but the control fetched the page`);
        const sni = sniProbeSentence(obs, h);
        if (sni !== null) w.reasons.push(sni.sentence);
      } else {
        w.reasons.push(`TLS handshake with ${h.address}${where} failed with ${failure}; no control for this endpoint`);
      }
      w.accessible = false;
      break;
    }

    // HTTP
    const request = obs.requests.find((r) => r.depth === depth && (!scoped || txids.has(r.transaction_id)));
    if (request === undefined) continue;
    if (request.failure !== null) {
      const throttled = options.detectThrottling?.(input) ?? null;
      const slowServer = throttled === null && request.response !== null ? options.detectSlowServer?.(input) ?? null : null;
      if (slowServer !== null) {
        w.accessible = true;
        w.reasons.push(slowServer);
        break;
      }
      const ctl = control.http;
      const finalCtl = resp.http_request;
      if (throttled !== null) {
        w.diverge('throttling', throttled);
      } else if ((ctl && ctl.failure !== null) || (!ctl && finalCtl.failure !== null)) {
        w.down = !dnsDiverged;
        w.reasons.push(`HTTP request to ${request.request.url} failed with ${request.failure}; control failed too (${(ctl ?? finalCtl).failure ?? ''})`);
      } else {
        w.diverge('http-failure', `HTTP request to ${request.request.url}${where} failed with ${request.failure}; control fetched the page ` +
          `(status ${finalCtl.status_code}, ${finalCtl.body_length} bytes)`);
      }
      w.accessible = false;
      break;
    }
    const response = request.response;
    if (response === null) continue;
    const overTls = request.request.url.startsWith('https:');
    const verified = overTls && obs.tls_handshakes.some((h) => h.transaction_id === request.transaction_id && isVerified(h));
    // Fingerprints (not on a verified HTTPS response: that is the site's own content).
    const hit = fps !== null && !verified ? matchHttpResponse(fps, request) : null;
    if (hit !== null && hit.fingerprint.kind === 'blockpage' && !hit.weak) {
      w.fingerprint(hit);
      w.confirmed = true;
      w.accessible = false;
      if (dnsDiverged) {
        w.reasons.push(`the diverging DNS answer ${request.address} served a known blockpage (${hit.where}): ${describeMatch(hit)}`);
      } else {
        w.diverge('http-diff', `the ${hit.where} is a known blockpage: ${describeMatch(hit)}`);
      }
      break;
    }
    if (hit !== null && hit.fingerprint.kind === 'false_positive') falsePositive ??= hit;
    if (hit !== null && hit.weak) w.reasons.push(`the ${hit.where} matches ${describeMatch(hit)}: too vague to confirm on its own`);
    if (!isFinalCode(response.code)) continue; // a redirect: the next hop says more
    const ctl = control.http ?? {
      failure: resp.http_request.failure, status_code: resp.http_request.status_code, body_length: resp.http_request.body_length,
      header_names: Object.keys(resp.http_request.headers), title: resp.http_request.title,
    };
    const throttled = options.detectThrottling?.(input) ?? null;
    if (throttled !== null) w.diverge('throttling', throttled);
    if (verified) {
      w.accessible = true;
      w.reasons.push(`HTTPS fetch of ${request.request.url} returned ${response.code} (${response.body_length} bytes) over a verified TLS connection`);
      break;
    }
    if (ctl.failure !== null) {
      if (w.first === null) {
        w.reasons.push(`control could not fetch the page (${ctl.failure}); the probe got status ${response.code} (${response.body_length} bytes)`);
      }
      w.accessible = dnsDiverged ? false : null;
      break;
    }
    const diff = compareHttpResponses(
      { status_code: response.code, body_length: response.body_length, body_is_truncated: response.body_is_truncated, header_names: Object.keys(response.headers), title: response.title },
      { ...ctl, body_is_truncated: false },
    );
    if (isHttpDiff(diff) && falsePositive !== null && !dnsDiverged) {
      // A page the site or its CDN serves itself (challenge, consent wall): not censorship.
      w.fingerprint(falsePositive);
      w.accessible = true;
      w.reasons.push(`response to ${request.request.url} differs from the control (${describeDiff(diff, request, ctl)}) but the ` +
        `${falsePositive.where} matches ${describeMatch(falsePositive)}: served by the site or its CDN, not censorship, so not http-diff (OONI reports http-diff)`);
    } else if (isHttpDiff(diff)) {
      w.diverge('http-diff', `response to ${request.request.url} differs from the control: ${describeDiff(diff, request, ctl)}`);
      w.accessible = false;
    } else if (dnsDiverged) {
      // The diverging answer served the genuine page: a transparent proxy.
      w.accessible = true;
      w.reasons.push(`the diverging DNS answer ${request.address} served the genuine page (${describeDiff(diff, request, ctl)}): a transparent proxy`);
    } else {
      w.accessible = true;
      w.reasons.push(`response to ${request.request.url} matches the control: ${describeDiff(diff, request, ctl)}`);
    }
    break;
  }

  let status: VerdictStatus;
  let accessible = w.accessible;
  if (w.first !== null) {
    status = w.confirmed ? 'confirmed' : 'anomaly';
    if (accessible === null) accessible = false;
  } else if (w.down) {
    status = 'down';
    accessible = false;
  } else if (accessible === true) {
    status = 'ok';
  } else {
    status = 'inconclusive';
  }
  const blocking = w.first;
  if (blocking !== null && ooni.blocking !== blocking && !(ooni.blocking === false && accessible === true)) {
    w.reasons.push(`deviation from OONI: OONI LTE reports blocking=${JSON.stringify(ooni.blocking)}, we name the first diverging step (${blocking})`);
  }
  const verdict: Verdict = { blocking, accessible, status, layers: w.layers, reasons: w.reasons };
  if (w.fingerprints.length > 0) verdict.fingerprints = w.fingerprints;
  return verdict;
}
