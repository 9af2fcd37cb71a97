/**
 * TLS layer of our verdict, for one hop: the probe's handshakes on its fetch endpoints against the
 * control's handshake with the same address and SNI, and the flow's repeated handshake with a
 * harmless SNI (`sni_probe`: SNI filtering vs interference with the address). Rules:
 * docs/verdict-rules.md ("TLS"). Pure.
 */
import { SNI_PROBE_TAG, type TlsHandshakeObservation, type VerdictEvidence } from '../model/index.js';
import { dnsDiverged, dnsTentative, type VerdictContext } from './context.js';
import { controlCite, ev, found, NOTHING, type Finding } from './evidence.js';
import { hasTag, hopHandshakes, type Hop } from './hops.js';
import { joinHostPort } from './web-observations.js';

/** TLS failures that mean the certificate did not verify (as opposed to interference). */
export const CERTIFICATE_FAILURES: ReadonlySet<string> = new Set(['ssl_invalid_hostname', 'ssl_unknown_authority', 'ssl_invalid_certificate']);

/** analyzeTls: the TLS finding of one hop (nothing when a handshake succeeded or none was made). */
export function analyzeTls(ctx: VerdictContext, hop: Hop): Finding {
  const handshakes = hopHandshakes(ctx.obs, hop);
  if (handshakes.length === 0 || handshakes.some((h) => h.failure === null)) return NOTHING;
  const h = handshakes[0] as TlsHandshakeObservation;
  const failure = h.failure ?? '';
  const ctlEntry = handshakes.map((x) => [x.address, hop.control.tls[x.address]] as const).find(([, x]) => x !== undefined && x.server_name === h.server_name);
  const ctl = ctlEntry?.[1];
  const cites = [...ctx.cites.of(h), ...(ctlEntry ? [controlCite(ctlEntry[0])] : [])];
  const detail = { address: h.address, server_name: h.server_name, failure, control_failure: ctl?.failure ?? null, issuer: h.peer_certificates_summary[0]?.issuer ?? null };
  const one = (kind: string, effect: VerdictEvidence['effect'], extra: Record<string, string | boolean | null> = {}): VerdictEvidence =>
    ev('tls', kind, hop.depth, effect, { cites, detail: { ...detail, ...extra } });
  const stop = (list: VerdictEvidence[]): Finding => found(list, true, false);
  // DNS already diverged: a certificate for the name from an unknown authority at that address is
  // forged, whatever the control's handshake with the same address says (it meets the same forger).
  if (dnsDiverged(ctx) && failure === 'ssl_unknown_authority' && certificateNames(h, hop.host)) {
    return stop([one('tls_forged_certificate', 'confirmed', { control: 'dns_diverged' })]);
  }
  if (ctl?.status === true) {
    if (CERTIFICATE_FAILURES.has(failure)) return stop([one('tls_forged_certificate', 'confirmed', { control: 'verified' })]);
    return stop([one('tls_handshake_failed', 'diverged', { control: 'same_address_ok' }), ...sniProbe(ctx, h)]);
  }
  if (ctl !== undefined) {
    if (dnsTentative(ctx) && ctx.dnsDivergence !== null) ctx.dnsDivergence.effect = 'note';
    return stop([one('tls_both_failed', dnsDiverged(ctx) ? 'note' : 'down')]);
  }
  if (dnsDiverged(ctx)) return stop([one('tls_failed_at_dns_answer', 'note')]);
  if (ctx.controlFetched === true) return stop([one('tls_handshake_failed', 'diverged', { control: 'fetched_page' }), ...sniProbe(ctx, h)]);
  return stop([one('tls_handshake_failed_no_control', 'inconclusive')]);
}

/** True when the leaf certificate names `host` (SAN or subject CN, `*.` wildcards), or when no summary was recorded. */
export function certificateNames(h: TlsHandshakeObservation, host: string): boolean {
  const leaf = h.peer_certificates_summary[0];
  if (leaf === undefined) return true;
  const names = [...leaf.subject_alt_names.map((n) => n.replace(/^DNS:/i, '')), ...(/CN=([^,/]+)/.exec(leaf.subject)?.slice(1) ?? [])].map((n) => n.trim().toLowerCase());
  const want = host.toLowerCase();
  return names.some((n) => n === want || (n.startsWith('*.') && want.endsWith(n.slice(1)) && !want.slice(0, -n.length + 1).includes('.')));
}

/**
 * The evidence of the flow's repeated handshake with a harmless SNI for `h`, if one was made: a
 * completed one (even with a certificate not valid for the harmless name) shows SNI filtering.
 */
export function sniProbe(ctx: VerdictContext, h: TlsHandshakeObservation): VerdictEvidence[] {
  const obs = ctx.obs;
  const probe = obs.tls_handshakes.find((x) => hasTag(x.tags, SNI_PROBE_TAG) && x.address === h.address && x.depth === h.depth);
  const detail = { address: h.address, server_name: h.server_name, failure: h.failure ?? '' };
  if (probe === undefined) {
    const tcp = obs.tcp_connect.find((c) => hasTag(c.tags, SNI_PROBE_TAG) && joinHostPort(c.ip, c.port) === h.address && c.depth === h.depth && c.status.failure !== null);
    if (tcp === undefined) return [];
    return [ev('tls', 'tls_sni_probe_connect_failed', h.depth, 'note', { cites: ctx.cites.of(tcp), detail: { ...detail, probe_failure: tcp.status.failure ?? '' } })];
  }
  const sniFiltering = probe.failure === null || CERTIFICATE_FAILURES.has(probe.failure);
  return [ev('tls', sniFiltering ? 'tls_sni_filtering' : 'tls_address_interference', h.depth, 'note', {
    cites: ctx.cites.of(probe),
    detail: { ...detail, probe_server_name: probe.server_name, probe_failure: probe.failure },
  })];
}
