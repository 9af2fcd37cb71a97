/**
 * world-spec: the JSON handed from the lab harness (host namespace) to the world process (world
 * namespace) in `<lab dir>/world-spec.json`, and the "ready" line the world prints back.
 */
import type { PemPair } from './lab-ca.js';
import type { MiddleboxPort } from './middlebox.js';
import type { DnsRule } from './scenario.js';
import type { DnsTable } from './world-hosts.js';
import type { PublicServicesTls } from './public-services.js';

/** TlsMaterial: the PEM pairs of the world's HTTPS servers, issued by the lab CA. */
export interface TlsMaterial {
  example: PemPair;
  bitly: PemPair;
  yandex: PemPair;
  largefile: PemPair;
  cloudflareCache: PemPair;
  httpbin: PemPair;
  badsslWrongHost: PemPair;
  badsslExpired: PemPair;
  /** The hostile TLS names (hostile.ts). */
  hostile: PemPair;
}

/** WorldSpec: everything the world process needs to start its servers. */
export interface WorldSpec {
  labId: string;
  /** The probe's source address (its veth address), for DNS forgery and source-discriminating servers. */
  probeAddress: string;
  /** Absolute path of the folder with example_page.html, blockpage.html, cloudflare_captcha.html. */
  pagesDir: string;
  tls: TlsMaterial;
  dns: { isp: DnsTable; global: DnsTable; censor: DnsRule[] };
  middlebox: MiddleboxPort[];
  /** TLS material of the public services (DoH resolvers, www.google.com); absent: not started. */
  publicServices?: PublicServicesTls;
}

/** WorldReady: the single JSON line the world process prints on stdout once every server listens. */
export interface WorldReady {
  event: 'ready';
  /** How many listening sockets (TCP servers + UDP resolvers + middlebox ports). */
  listeners: number;
}
