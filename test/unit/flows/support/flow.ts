/**
 * Shared by the flow tests: a loopback DNS zone server and FlowOptions for a flow that resolves
 * through it and may dial 127.0.0.0/8. Each test file keeps its own timeouts and limits.
 */
import type { FlowOptions } from '../../../../src/flows/index.js';
import { createClock } from '../../../../src/net/clock.js';
import { reply, startDnsServer, type Running } from '../../net/support/servers.js';

/**
 * startZoneDns: a UDP DNS server answering A queries from `zone` (name → IPv4 list), NXDOMAIN for
 * unknown names, an empty answer for AAAA. Pushed onto `running` so the caller closes it.
 */
export async function startZoneDns(zone: Record<string, string[]>, running: Running[]): Promise<Running & { queries: unknown[] }> {
  const srv = await startDnsServer((q) => {
    const question = q.questions?.[0];
    const addrs = zone[question?.name ?? ''];
    if (addrs === undefined) return [reply(q, [], 3)];
    return [reply(q, question?.type === 'A' ? addrs.map((data) => ({ type: 'A' as const, data })) : [])];
  });
  running.push(srv);
  return srv;
}

/** loopbackFlowOptions: FlowOptions resolving through UDP 127.0.0.1:`dnsPort`, loopback dialling on, then `options`. */
export function loopbackFlowOptions(dnsPort: number, options: Omit<FlowOptions, 'resolver' | 'clock'> & Partial<FlowOptions>): FlowOptions {
  return { resolver: { kind: 'udp', ip: '127.0.0.1', port: dnsPort }, clock: createClock(), dialLoopback: true, ...options };
}
