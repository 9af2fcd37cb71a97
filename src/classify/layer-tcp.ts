/**
 * TCP/IP layer of our verdict, for one hop: the probe's connects to its fetch endpoints against
 * the control's connects to the same `IP:PORT` (at depth 0 including the helper's checks of the
 * probe's own addresses). Addresses the flow did not dial (bogons, `x_not_dialled`) are cited,
 * never counted as failures. Rules: docs/verdict-rules.md ("TCP/IP"). Pure.
 */
import type { TcpConnectObservation, VerdictEvidence } from '../model/index.js';
import { dnsDiverged, dnsTentative, type VerdictContext } from './context.js';
import { controlCite, ev, found, type Finding } from './evidence.js';
import type { Hop } from './hops.js';
import { joinHostPort } from './web-observations.js';

/** OONI `utilsTCPConnectFailureSeemsMisconfiguredIPv6`: unreachable errors on IPv6 are a local problem. */
function misconfiguredIPv6(c: TcpConnectObservation): boolean {
  const f = c.status.failure;
  return (f === 'network_unreachable' || f === 'host_unreachable') && c.ip.includes(':');
}

/** analyzeTcp: the TCP finding of one hop. */
export function analyzeTcp(ctx: VerdictContext, hop: Hop): Finding {
  const evidence: VerdictEvidence[] = [];
  if (hop.notDialled.length > 0) {
    evidence.push(ev('tcp_ip', 'tcp_not_dialled', hop.depth, 'note', {
      cites: ctx.cites.of(...hop.notDialled),
      detail: { endpoints: hop.notDialled.map((n) => joinHostPort(n.ip, n.port)), reason: hop.notDialled[0]?.reason ?? 'bogon' },
    }));
  }
  const connected = hop.endpoints.filter((c) => c.status.failure === null);
  if (hop.endpoints.length > 0 && connected.length === 0) return allFailed(ctx, hop, evidence);
  const family = familyBlocked(ctx, hop);
  if (family !== null) evidence.push(family);
  return found(evidence, false);
}

function allFailed(ctx: VerdictContext, hop: Hop, evidence: VerdictEvidence[]): Finding {
  const failures = hop.endpoints.map((c) => `${joinHostPort(c.ip, c.port)} ${c.status.failure ?? ''}`);
  // An IPv6 endpoint unreachable from here is this computer's missing IPv6 route: the control
  // reaching it says nothing about censorship, so only the other endpoints are compared.
  const counted = hop.endpoints.filter((c) => !misconfiguredIPv6(c));
  if (counted.length === 0) {
    return found([...evidence, ev('tcp_ip', 'tcp_ipv6_unreachable_locally', hop.depth, 'inconclusive', { cites: ctx.cites.of(...hop.endpoints), detail: { failures } })], true, null);
  }
  const keys = counted.map((c) => joinHostPort(c.ip, c.port));
  const ctl = keys.map((k) => [k, hop.control.tcp[k]] as const).filter((x) => x[1] !== undefined);
  const cites = [...ctx.cites.of(...hop.endpoints), ...ctl.map(([k]) => controlCite(k))];
  const detail = { failures, control_failures: ctl.map(([k, x]) => `${k} ${x?.failure ?? 'ok'}`), ...(counted.length < hop.endpoints.length ? { ipv6_local: true } : {}) };
  const figures = { endpoints: hop.endpoints.length, control_connected: ctl.filter(([, x]) => x?.status === true).length };
  const add = (kind: string, effect: VerdictEvidence['effect'], extra: Record<string, string> = {}): Finding =>
    found([...evidence, ev('tcp_ip', kind, hop.depth, effect, { cites, figures, detail: { ...detail, ...extra } })], true, false);
  if (ctl.some(([, x]) => x?.status === true)) return add('tcp_connect_failed', 'diverged', { control: 'connected' });
  if (ctl.length > 0) {
    // The control fails the same way at the probe's address: a dead address, not censorship,
    // even when the answer pointed to another network without proof (docs/verdict-rules.md).
    if (dnsTentative(ctx) && ctx.dnsDivergence !== null) ctx.dnsDivergence.effect = 'note';
    return add('tcp_both_failed', dnsDiverged(ctx) ? 'note' : 'down');
  }
  if (dnsDiverged(ctx)) return add('tcp_failed_at_dns_answer', 'note');
  if (hop.control.http?.failure === null || ctx.controlFetched === true) return add('tcp_connect_failed', 'diverged', { control: 'fetched_page' });
  return add('tcp_connect_failed_no_control', 'inconclusive');
}

/**
 * A failure on one address family that the control contradicts while the other family connected:
 * `tcp_ip` among the layers, the page still reachable (docs/verdict-rules.md). IPv6 failures that
 * look like a local misconfiguration (network/host unreachable) do not count.
 */
function familyBlocked(ctx: VerdictContext, hop: Hop): VerdictEvidence | null {
  const v6 = (c: TcpConnectObservation): boolean => c.ip.includes(':');
  for (const six of [false, true]) {
    const fam = hop.endpoints.filter((c) => v6(c) === six);
    const other = hop.endpoints.filter((c) => v6(c) !== six);
    if (fam.length === 0 || fam.some((c) => c.status.failure === null || misconfiguredIPv6(c))) continue;
    if (!other.some((c) => c.status.failure === null)) continue;
    const contradicted = fam.filter((c) => hop.control.tcp[joinHostPort(c.ip, c.port)]?.status === true);
    if (contradicted.length === 0) continue;
    return ev('tcp_ip', 'tcp_family_blocked', hop.depth, 'diverged', {
      cites: [...ctx.cites.of(...fam), ...contradicted.map((c) => controlCite(joinHostPort(c.ip, c.port)))],
      figures: { failed: fam.length, reachable: other.filter((c) => c.status.failure === null).length },
      detail: { family: six ? 'IPv6' : 'IPv4', other_family: six ? 'IPv4' : 'IPv6', failures: fam.map((c) => `${joinHostPort(c.ip, c.port)} ${c.status.failure ?? ''}`) },
    });
  }
  return null;
}
