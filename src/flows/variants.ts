/**
 * Protocol variants a site advertises that the probe does not test: HTTP/3 (an `h3` or `h3-NN`
 * entry in an `Alt-Svc` response header, RFC 7838 and RFC 9114 section 3.1.1) and Encrypted
 * Client Hello (an `ech` parameter in a DNS HTTPS record, RFC 9460; that record is read by
 * https-records.ts, which also lists an `h3` in its alpn). A censor may block such a variant while the tested path works, so the report
 * says they were not tested (docs/measurement-model.md, "Untested protocol variants").
 */
import type { UntestedVariant } from '../model/observations.js';

/** Cap on the advertisement text kept in the report, characters. */
export const MAX_EVIDENCE_CHARS = 200;

/**
 * altSvcHttp3: the `Alt-Svc` header value of `headers` when it advertises HTTP/3 (`h3` or a draft
 * `h3-NN` protocol id), else null. `clear` (no alternatives) is not an advertisement. Pure.
 */
export function altSvcHttp3(headers: [string, string][]): string | null {
  for (const [k, v] of headers) {
    if (k.toLowerCase() !== 'alt-svc') continue;
    if (/(^|,)\s*h3(-[0-9A-Za-z]+)?\s*=/i.test(v)) return v;
  }
  return null;
}

/** untestedHttp3 turns an Alt-Svc advertisement seen at `depth` into the report's entry. Pure. */
export function untestedHttp3(altSvc: string, depth: number, url: string): UntestedVariant {
  return { variant: 'http3', depth, url, source: 'alt-svc', advertised: altSvc.slice(0, MAX_EVIDENCE_CHARS) };
}
