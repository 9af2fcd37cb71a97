/**
 * lab-ca: the lab's certificate authority and its leaf certificates, made fresh per lab with
 * @peculiar/x509 over Node's WebCrypto (ECDSA P-256, SHA-256). The probe and the helper trust the CA
 * only through an explicit `--ca-file` (never by disabling verification).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

/** PemPair is a certificate and its private key, both PEM text (key in PKCS#8 `PRIVATE KEY` form). */
export interface PemPair {
  cert: string;
  key: string;
}

/** LabCa is a CA able to issue leaves: its PEM pair plus the live keys and certificate. */
export interface LabCa extends PemPair {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** LeafOptions: the validity window of a leaf; default from one day ago to 30 days ahead. */
export interface LeafOptions {
  notBefore?: Date;
  notAfter?: Date;
  /** IP addresses added as IP SANs (e.g. a DoH resolver reached by an IP-literal URL). */
  ips?: string[];
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(12));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/**
 * createLabCa makes a self-signed CA (ECDSA P-256, valid from one day ago for 30 days) named
 * `CN=<commonName>`. Resolves to the CA's PEM pair and live keys; rejects only if WebCrypto fails.
 */
export async function createLabCa(commonName = 'censorprobe lab CA'): Promise<LabCa> {
  const keys = (await webcrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${commonName}, O=censorprobe lab`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 30 * DAY_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, keys, cert: certificate.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}

/**
 * issueLeaf issues a TLS server certificate for `names` (the first is the CN; all are DNS SANs)
 * signed by `ca`. Resolves to the PEM pair; rejects if `names` is empty (programmer error).
 */
export async function issueLeaf(ca: LabCa, names: string[], opts: LeafOptions = {}): Promise<PemPair> {
  const first = names[0];
  if (first === undefined) throw new Error('issueLeaf: at least one DNS name is required');
  const keys = (await webcrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${first}`,
    issuer: ca.certificate.subject,
    notBefore: opts.notBefore ?? new Date(now - DAY_MS),
    notAfter: opts.notAfter ?? new Date(now + 30 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.map((value) => ({ type: 'dns' as const, value })),
        ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}
