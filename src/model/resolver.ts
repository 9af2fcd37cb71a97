/**
 * Which resolver the probe measured (docs/measurement-model.md, "Resolver identity"): the DNS step
 * measures the probe's resolver, and when that is a public resolver (8.8.8.8, 1.1.1.1, ...) the
 * ISP's own resolver, where DNS censorship usually happens, was not measured at all.
 */

/**
 * ResolverIdentity: found once per run, copied into every report line as `resolver_identity`.
 * - `kind`: the probe's resolver (`system` = getaddrinfo, `udp`, `doh`).
 * - `configured`: for `system`, the `nameserver` lines of /etc/resolv.conf (at most 8; [] when
 *   unreadable); for `udp`, the server's address; for `doh`, the URL.
 * - `egress`: the address the resolver's own queries come from, as authoritative servers see it,
 *   from a whoami lookup (`method`: `whoami.akamai.net` A) through the probe's resolver; `asn` from
 *   the ASN database (0 unknown); `ip` is kept only when it belongs to a known public resolver
 *   operator (a resolver run on the volunteer's own line would otherwise put the volunteer's
 *   address in the report); `failure` of the lookup, or null.
 * - `public_resolver`: the operator's name when the configured server or the egress belongs to a
 *   well-known public resolver (then the ISP's resolver was not measured), else null.
 */
export interface ResolverIdentity {
  kind: 'system' | 'udp' | 'doh';
  configured: string[];
  egress: {
    method: 'whoami.akamai.net';
    ip: string | null;
    asn: number;
    failure: string | null;
  };
  public_resolver: string | null;
}
