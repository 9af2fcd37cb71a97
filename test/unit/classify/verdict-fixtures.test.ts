import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_FINGERPRINTS } from './lab-fingerprints.js';
import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/classify/index.js';
import type { Verdict } from '../../../src/model/index.js';
import { importOoniMeasurement } from '../../../src/ooni/import.js';

const root = join(import.meta.dirname, '../../../fixtures/ooni');

/** Our expected verdict on OONI's own observations (field-notes section 2), as [blocking, accessible, status]. */
const EXPECTED: Record<string, [Verdict['blocking'], Verdict['accessible'], Verdict['status']]> = {
  'generated/badSSLWithExpiredCertificate': [null, false, 'down'],
  'generated/badSSLWithUnknownAuthorityWithConsistentDNS': [null, false, 'down'],
  'generated/badSSLWithWrongServerName': [null, false, 'down'],
  'generated/cloudflareCAPTCHAWithHTTP': [null, true, 'ok'], // false-positive fingerprint (Cloudflare challenge); OONI: http-diff
  'generated/controlFailureWithSuccessfulHTTPWebsite': [null, null, 'inconclusive'],
  'generated/dnsBlockingBOGON': ['dns', false, 'anomaly'],
  'generated/dnsBlockingNXDOMAIN': ['dns', false, 'anomaly'],
  'generated/dnsHijackingToLocalhostWithHTTP': ['dns', false, 'anomaly'],
  'generated/dnsHijackingToLocalhostWithHTTPS': ['dns', false, 'anomaly'],
  'generated/dnsHijackingToProxyWithHTTPURL': [null, true, 'ok'], // the helper verified TLS for the name at the proxy's address (ip_info flag 8): genuine, docs/verdict-rules.md
  'generated/ghostDNSBlockingWithHTTP': ['dns', false, 'confirmed'], // 83.224.65.41: known blockpage address
  'generated/httpBlockingConnectionReset': ['http-failure', false, 'anomaly'],
  'generated/httpDiffWithConsistentDNS': ['http-diff', false, 'confirmed'], // the "Access Denied" blockpage fingerprint
  'generated/idnaWithoutCensorshipLowercase': [null, true, 'ok'],
  'generated/largeFileWithHTTP': [null, true, 'ok'],
  'generated/localhostWithHTTP': [null, false, 'down'],
  'generated/redirectWithBrokenLocationForHTTP': ['http-failure', false, 'anomaly'],
  'generated/redirectWithBrokenLocationForHTTPS': ['http-failure', false, 'anomaly'],
  'generated/redirectWithConsistentDNSAndThenConnectionRefusedForHTTP': ['tcp_ip', false, 'anomaly'], // OONI: http-failure
  'generated/redirectWithConsistentDNSAndThenConnectionRefusedForHTTPS': ['tcp_ip', false, 'anomaly'], // OONI: http-failure
  'generated/redirectWithConsistentDNSAndThenConnectionResetForHTTP': ['http-failure', false, 'anomaly'],
  'generated/redirectWithConsistentDNSAndThenEOFForHTTPS': ['tls', false, 'anomaly'], // OONI: http-failure
  'generated/redirectWithConsistentDNSAndThenTimeoutForHTTP': ['http-failure', false, 'anomaly'],
  'generated/redirectWithConsistentDNSAndThenTimeoutForHTTPS': ['tls', false, 'anomaly'], // OONI: http-failure
  'generated/redirectWithMoreThanTenRedirectsAndHTTP': [null, false, 'down'],
  'generated/successWithHTTP': [null, true, 'ok'],
  'generated/successWithHTTPS': [null, true, 'ok'],
  'generated/tcpBlockingConnectTimeout': ['tcp_ip', false, 'anomaly'],
  'generated/throttlingWithHTTPS': ['http-failure', false, 'anomaly'], // throttling detection comes later
  'generated/tlsBlockingConnectionResetWithConsistentDNS': ['tls', false, 'anomaly'], // OONI: http-failure
  'generated/websiteDownNXDOMAIN': [null, false, 'down'],
  'generated/websiteDownTCPConnect': [null, false, 'down'],
  'manual/firefoxcom': [null, true, 'ok'],
  'manual/noipv6': [null, true, 'ok'],
  'manual/youtube': [null, true, 'ok'],
};

function pathOf(name: string): string {
  const [kind, base] = name.split('/') as [string, string];
  const p = kind === 'manual' ? join(root, kind, base, 'measurement.json') : join(root, kind, `${base}.json`);
  if (!existsSync(p)) throw new Error(`missing fixture ${p}`);
  return p;
}

describe('our verdict on OONI Probe measurements', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`on ${name}: is ${JSON.stringify(expected)} with at least one reason`, () => {
      const { verdict } = classify(importOoniMeasurement(JSON.parse(readFileSync(pathOf(name), 'utf8'))), { fingerprints: LAB_FINGERPRINTS });
      expect([verdict.blocking, verdict.accessible, verdict.status]).toEqual(expected);
      expect(verdict.reasons.length).toBeGreaterThan(0);
      if (verdict.blocking !== null) expect(verdict.layers[0]).toBe(verdict.blocking);
    });
  }
});
