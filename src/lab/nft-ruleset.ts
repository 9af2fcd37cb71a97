/**
 * nft-ruleset: renders the censor's nftables ruleset (table `inet censorprobe_lab`, loaded in the
 * world namespace) from the scenario's rules. Pure. `dnsCatchAll` (optional) adds the DNAT of UDP/53
 * queries to unknown resolvers onto a lab resolver. Every rule matches only packets arriving on
 * the probe's veth (`iifname`), so the helper and the middlebox (which reach servers over the
 * world's `lo`) are never censored.
 *
 * - chain `censor_ip` (filter, prerouting, priority raw): `nft` rules: drop, reject with tcp reset,
 *   reject with ICMP host-unreachable / admin-prohibited;
 * - chain `dpi_redirect` (nat, prerouting, priority dstnat): a `dnat` per DPI destination onto its
 *   middlebox port on the world side of the veth.
 */
import type { NftRule } from './scenario.js';

/** NFT_TABLE is the lab's nftables table (family inet). */
export const NFT_TABLE = 'censorprobe_lab';

/** DpiRedirect: the probe's TCP traffic to `dst` goes to `to` (the middlebox port standing for it). */
export interface DpiRedirect {
  dst: { ip: string; port: number };
  to: { ip: string; port: number };
}

function nftStatement(rule: NftRule): string {
  const protocol = rule.protocol ?? (rule.port !== undefined || rule.action === 'reject_tcp_reset' ? 'tcp' : undefined);
  const parts = [`ip daddr ${rule.ip}`];
  if (rule.port !== undefined) parts.push(`${protocol ?? 'tcp'} dport ${rule.port}`);
  else if (protocol !== undefined) parts.push(`meta l4proto ${protocol}`);
  switch (rule.action) {
    case 'drop':
      parts.push('drop');
      break;
    case 'reject_tcp_reset':
      parts.push('reject with tcp reset');
      break;
    case 'reject_host_unreachable':
      parts.push('reject with icmp type host-unreachable');
      break;
    case 'reject_admin_prohibited':
      parts.push('reject with icmp type admin-prohibited');
      break;
  }
  return parts.join(' ');
}

/**
 * DnsCatchAll: the probe's UDP/53 queries to any address NOT in `exempt` (the lab's own resolvers)
 * are DNATed to `resolver`, so every resolver the probe may name answers, and DNS forgery applies
 * to queries to any resolver on UDP port 53 (docs/lab.md); conntrack keeps the reply's
 * source the address the probe asked.
 */
export interface DnsCatchAll {
  resolver: string;
  exempt: readonly string[];
}

/**
 * renderRuleset returns the nft script (for `nft -f -`) defining the lab table: `iface` is the
 * world-side veth name, `rules` the scenario's nft rules in order, `redirects` the DPI DNATs,
 * `dnsCatchAll` the optional UDP/53 catch-all (see DnsCatchAll).
 * Throws on a reject_tcp_reset rule with protocol udp (programmer error: the schema allows it).
 */
export function renderRuleset(iface: string, rules: NftRule[], redirects: DpiRedirect[], dnsCatchAll?: DnsCatchAll): string {
  for (const r of rules) {
    if (r.action === 'reject_tcp_reset' && r.protocol === 'udp') throw new Error(`nft rule for ${r.ip}: a tcp reset cannot answer udp`);
  }
  const on = `iifname "${iface}"`;
  const lines = [
    `table inet ${NFT_TABLE} {`,
    '  chain censor_ip {',
    '    type filter hook prerouting priority raw; policy accept;',
    ...rules.map((r) => `    ${on} ${nftStatement(r)}`),
    '  }',
    '  chain dpi_redirect {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...redirects.map((d) => `    ${on} ip daddr ${d.dst.ip} tcp dport ${d.dst.port} dnat ip to ${d.to.ip}:${d.to.port}`),
    ...(dnsCatchAll ? [`    ${on} ip daddr != { ${dnsCatchAll.exempt.join(', ')} } udp dport 53 dnat ip to ${dnsCatchAll.resolver}:53`] : []),
    '  }',
    '}',
  ];
  return `${lines.join('\n')}\n`;
}
