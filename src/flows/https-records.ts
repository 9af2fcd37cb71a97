/**
 * The DNS HTTPS record (type 65, RFC 9460) of each hop host, asked beside the hop's A/AAAA lookup,
 * and the protocol variants it advertises that the probe does not test: ECH (an `ech` SvcParam,
 * draft-ietf-tls-svcb-ech) and HTTP/3 (`h3` in `alpn`). The result goes to
 * `observations.x_https_records` (never to `queries`: the DNS comparison does not use it) and the
 * variants to `observations.x_untested_variants` (docs/measurement-model.md, "Untested protocol
 * variants"). It never changes a hop's outcome.
 */
import { isIP } from 'node:net';
import { httpsRecordLookup, parseResolvConf, readSystemResolvConf, type HttpsRecordResolver } from '../net/index.js';
import type { HttpsRecord, HttpsRecordsObservation, Observations, UntestedVariant } from '../model/observations.js';
import { MAX_EVIDENCE_CHARS } from './variants.js';
import type { FlowOptions } from './measure-url.js';

/**
 * HttpsRecordsOptions: what the query takes from the flow's options (FlowOptions in
 * measure-url.ts): `resolver` (`system` means UDP to the first nameserver of resolv.conf, port 53,
 * since getaddrinfo cannot ask type 65), `clock`, `timeouts.dnsMs` (the query's budget, ms),
 * `extraCa` (DoH), `signal`, `readResolvConf` (tests; default /etc/resolv.conf).
 */
export type HttpsRecordsOptions = Pick<FlowOptions, 'resolver' | 'clock' | 'timeouts' | 'extraCa' | 'signal' | 'readResolvConf'>;

/**
 * httpsRecordName: the name whose HTTPS record applies to `url` (RFC 9460 section 9.1 and 9.5): the
 * host for the scheme's default port (80 for http, 443 for https), else `_PORT._https.host`; null
 * for an IP-literal host (no record to ask). Pure.
 */
export function httpsRecordName(url: URL): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '' || isIP(host) !== 0) return null;
  return url.port === '' ? host : `_${url.port}._https.${host}`;
}

/**
 * startHttpsRecords starts the HTTPS query for the hop at `depth` measuring `url`, unless its name
 * was already asked in this measurement (`x_https_records`) or the host is an IP literal (then
 * null). The query is bounded by `ctx.timeouts.dnsMs`. Never rejects: a resolv.conf without a
 * nameserver, or an error thrown by the lookup, gives an observation with `resolver_address` null
 * and an `unknown_failure`.
 */
export function startHttpsRecords(observations: Observations, url: string, depth: number, ctx: HttpsRecordsOptions): Promise<HttpsRecordsObservation> | null {
  const name = httpsRecordName(new URL(url));
  if (name === null || observations.x_https_records?.some((o) => o.hostname === name) === true) return null;
  // A programmer error (e.g. a non-https DoH URL) must not become an unhandled rejection when the
  // hop throws first: it is recorded as the query's failure instead.
  return askHttpsRecords(name, depth, ctx).catch((e: unknown) => unasked(name, depth, ctx, `unknown_failure: ${e instanceof Error ? e.message : String(e)}`));
}

/** The observation of a query that could not be sent (no resolver, or a programmer error). */
function unasked(name: string, depth: number, ctx: HttpsRecordsOptions, failure: `unknown_failure: ${string}`): HttpsRecordsObservation {
  const t = ctx.clock.now();
  return { hostname: name, depth, engine: ctx.resolver.kind === 'doh' ? 'doh' : 'udp', resolver_address: null, rcode: null, failure, failure_detail: null, records: [], malformed: 0, raw_response: null, t0: t, t };
}

async function askHttpsRecords(name: string, depth: number, ctx: HttpsRecordsOptions): Promise<HttpsRecordsObservation> {
  let resolver: HttpsRecordResolver;
  if (ctx.resolver.kind === 'system') {
    const first = parseResolvConf(await (ctx.readResolvConf ?? readSystemResolvConf)())[0];
    if (first === undefined) return unasked(name, depth, ctx, 'unknown_failure: no nameserver in resolv.conf');
    resolver = { kind: 'udp', ip: first, port: 53 };
  } else {
    resolver = ctx.resolver;
  }
  return httpsRecordLookup(name, {
    resolver,
    clock: ctx.clock,
    timeoutMs: ctx.timeouts.dnsMs,
    depth,
    ...(ctx.extraCa !== undefined ? { extraCa: ctx.extraCa } : {}),
    ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
  });
}

/**
 * recordHttpsRecords appends `obs` to `observations.x_https_records` and the variants its records
 * advertise to `observations.x_untested_variants` (see {@link httpsRecordVariants}); call it
 * after the hop, so that an HTTP/3 already seen in that hop's Alt-Svc is not listed twice.
 */
export function recordHttpsRecords(observations: Observations, obs: HttpsRecordsObservation, url: string): void {
  (observations.x_https_records ??= []).push(obs);
  const altSvcH3 = (observations.x_untested_variants ?? []).some((v) => v.variant === 'http3' && v.depth === obs.depth);
  const variants = httpsRecordVariants(obs.records, obs.depth, url, altSvcH3);
  if (variants.length > 0) (observations.x_untested_variants ??= []).push(...variants);
}

/**
 * httpsRecordVariants: the untested variants of a hop's HTTPS records (ServiceMode records only:
 * AliasMode ones carry no params): one `ech` entry for the first record with `ech`, and one
 * `http3` entry for the first record whose alpn has `h3` or a draft `h3-NN` unless
 * `http3AlreadyListed` (an Alt-Svc at that depth said so). `source` is `https-rr`, `advertised`
 * the record as text, e.g. `HTTPS 1 . alpn=h2,h3 ech=<71 bytes>` (at most 200 characters). Pure.
 */
export function httpsRecordVariants(records: HttpsRecord[], depth: number, url: string, http3AlreadyListed: boolean): UntestedVariant[] {
  const service = records.filter((r) => r.priority > 0);
  const out: UntestedVariant[] = [];
  const ech = service.find((r) => r.ech);
  if (ech !== undefined) out.push({ variant: 'ech', depth, url, source: 'https-rr', advertised: recordText(ech) });
  const h3 = service.find((r) => r.alpn.some((id) => /^h3(-[0-9A-Za-z]+)?$/.test(id)));
  if (h3 !== undefined && !http3AlreadyListed) out.push({ variant: 'http3', depth, url, source: 'https-rr', advertised: recordText(h3) });
  return out;
}

/** A record in zone-file-like text: `HTTPS <priority> <target> [alpn=..] [port=..] [ech=<N bytes>]`. */
function recordText(r: HttpsRecord): string {
  const parts = [`HTTPS ${r.priority} ${r.target}`];
  if (r.alpn.length > 0) parts.push(`alpn=${r.alpn.join(',')}`);
  if (r.port !== undefined) parts.push(`port=${r.port}`);
  if (r.ech) parts.push(`ech=<${r.ech_bytes ?? 0} bytes>`);
  return parts.join(' ').slice(0, MAX_EVIDENCE_CHARS);
}
