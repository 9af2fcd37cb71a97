/**
 * The certificate view handed to tls.checkServerIdentity (src/net/tls.ts identityView) decides
 * exactly as Node's legacy certificate object: same result, same error code and message, for DNS
 * SANs, wildcards, IP SANs, CN-only certificates (one or several CNs), and hosts that match or not.
 */
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { identityView } from '../../../src/net/tls.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

interface Spec {
  name: string;
  subject: string;
  /** null: no SAN extension at all. */
  san: { type: 'dns' | 'ip'; value: string }[] | null;
}

const SPECS: Spec[] = [
  { name: 'DNS SANs', subject: 'CN=www.example.com', san: [{ type: 'dns', value: 'www.example.com' }, { type: 'dns', value: 'example.com' }] },
  { name: 'wildcard SAN', subject: 'CN=wild', san: [{ type: 'dns', value: '*.example.com' }] },
  { name: 'partial wildcard SAN', subject: 'CN=wild', san: [{ type: 'dns', value: 'w*.example.com' }] },
  { name: 'IP SAN only, CN a name', subject: 'CN=www.example.com', san: [{ type: 'ip', value: '192.0.2.7' }, { type: 'ip', value: '2001:db8::7' }] },
  { name: 'CN only', subject: 'CN=www.example.com, O=Example', san: null },
  { name: 'CN only, wildcard', subject: 'CN=*.example.com', san: null },
  { name: 'two CNs', subject: 'CN=a.example.com+CN=www.example.com', san: null },
  { name: 'no name at all', subject: 'O=Nobody', san: null },
  { name: 'empty SAN list, CN a name', subject: 'CN=www.example.com', san: [] },
];

const HOSTS = ['www.example.com', 'WWW.Example.COM', 'www.example.com.', 'example.com', 'a.example.com', 'x.y.example.com', 'www.example.org', '192.0.2.7', '192.0.2.8', '2001:db8::7', '2001:0db8:0:0:0:0:0:7'];

const certs = new Map<string, X509Certificate>();
beforeAll(async () => {
  for (const spec of SPECS) {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const extensions: x509.Extension[] = spec.san === null ? [] : [new x509.SubjectAlternativeNameExtension(spec.san)];
    const cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: spec.subject, keys, signingAlgorithm: ALG, extensions });
    certs.set(spec.name, new X509Certificate(cert.toString('pem')));
  }
});

function outcome(err: Error | undefined): { code: unknown; message: string } | null {
  return err === undefined ? null : { code: (err as Error & { code?: unknown }).code, message: err.message };
}

describe('identityView', () => {
  for (const spec of SPECS) {
    it(`decides as the legacy object: ${spec.name}`, () => {
      const cert = certs.get(spec.name) as X509Certificate;
      for (const host of HOSTS) {
        const legacy = outcome(tls.checkServerIdentity(host, cert.toLegacyObject()));
        expect({ host, got: outcome(tls.checkServerIdentity(host, identityView(cert))) }).toEqual({ host, got: legacy });
      }
    });
  }

  it('matches at least once and refuses at least once over the cases (the comparison is not vacuous)', () => {
    const all = SPECS.flatMap((s) => HOSTS.map((h) => tls.checkServerIdentity(h, identityView(certs.get(s.name) as X509Certificate))));
    expect(all.some((e) => e === undefined)).toBe(true);
    expect(all.some((e) => e !== undefined)).toBe(true);
  });
});
