/**
 * Certificate summaries: the human-readable facts of a peer certificate that reports keep next to
 * the DER (our extension of OONI's `peer_certificates`, see `CertificateSummary` in model).
 */
import { X509Certificate } from 'node:crypto';
import type { CertificateSummary } from '../model/observations.js';

/**
 * summarizeCertificate parses one DER certificate with Node's `X509Certificate`:
 * `subject`/`issuer` as `K=V` pairs joined by `, ` (OpenSSL order), `subject_alt_names` as plain
 * DNS names and IP addresses (type prefixes `DNS:` / `IP Address:` removed; other SAN types kept
 * with their prefix), `not_before`/`not_after` ISO-8601 UTC, `fingerprint_sha256` lower-case hex
 * with colons. Throws if `der` is not a certificate (callers catch and skip).
 */
export function summarizeCertificate(der: Buffer): CertificateSummary {
  const cert = new X509Certificate(der);
  return {
    subject: cert.subject.split('\n').join(', '),
    issuer: cert.issuer.split('\n').join(', '),
    subject_alt_names: parseSubjectAltNames(cert.subjectAltName),
    not_before: new Date(cert.validFrom).toISOString(),
    not_after: new Date(cert.validTo).toISOString(),
    fingerprint_sha256: cert.fingerprint256.toLowerCase(),
  };
}

function parseSubjectAltNames(san: string | undefined): string[] {
  if (san === undefined || san === '') return [];
  return san.split(', ').map((entry) => {
    if (entry.startsWith('DNS:')) return entry.slice(4);
    if (entry.startsWith('IP Address:')) return entry.slice(11);
    return entry;
  });
}
