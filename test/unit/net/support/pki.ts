/**
 * A throwaway PKI for loopback TLS tests: an ECDSA P-256 CA and leaf certificates generated in
 * memory with @peculiar/x509 and WebCrypto (nothing is read from or written to disk).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A certificate and its private key, PEM. */
export interface TestCert {
  certPem: string;
  keyPem: string;
}

/** Options of {@link TestPki.issue}: DNS names and IP SANs; validity (default: now-1h .. now+1d); `selfSigned` skips the CA. */
export interface IssueOptions {
  dnsNames?: string[];
  ips?: string[];
  notBefore?: Date;
  notAfter?: Date;
  selfSigned?: boolean;
}

/** A throwaway CA: `caPem` to trust (extraCa) and `issue()` to sign leaves. */
export interface TestPki {
  caPem: string;
  issue(opts: IssueOptions): Promise<TestCert>;
}

type KeyPair = webcrypto.CryptoKeyPair;

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function generateKeys(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as KeyPair;
}

/** createTestPki generates a fresh CA (CN=censorprobe test CA), valid from an hour ago for a day. */
export async function createTestPki(): Promise<TestPki> {
  const caKeys = await generateKeys();
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=censorprobe test CA',
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 86_400_000),
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  let serial = 2;
  return {
    caPem: ca.toString('pem'),
    async issue(opts: IssueOptions): Promise<TestCert> {
      const keys = await generateKeys();
      const names = [
        ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
      ];
      const subject = `CN=${opts.dnsNames?.[0] ?? opts.ips?.[0] ?? 'leaf'}`;
      const common = {
        serialNumber: (serial++).toString(16).padStart(2, '0'),
        notBefore: opts.notBefore ?? new Date(now - 3600_000),
        notAfter: opts.notAfter ?? new Date(now + 86_400_000),
        signingAlgorithm: ALG,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(names),
        ],
      };
      const cert = opts.selfSigned
        ? await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: subject, keys })
        : await x509.X509CertificateGenerator.create({ ...common, subject, issuer: ca.subject, publicKey: keys.publicKey, signingKey: caKeys.privateKey });
      return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
    },
  };
}
