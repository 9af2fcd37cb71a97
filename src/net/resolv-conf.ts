/**
 * resolv.conf: the nameservers the system resolver asks (resolv.conf(5)). Used by the resolver
 * identity (src/runner/resolver-identity.ts) and by the HTTPS-record query of a flow whose resolver
 * is getaddrinfo, which cannot ask for record type 65 (src/flows/https-records.ts).
 */
import { readFile } from 'node:fs/promises';
import { parseIp } from '../model/ip.js';

/** Most nameservers kept from one resolv.conf (glibc uses the first 3, MAXNS). */
const MAX_NAMESERVERS = 8;

/** The path the system resolver reads. */
export const RESOLV_CONF_PATH = '/etc/resolv.conf';

/**
 * parseResolvConf: the `nameserver` addresses of a resolv.conf text, in order, at most 8 (glibc
 * uses the first 3), without IPv6 zone ids; lines that are not valid addresses are skipped. Pure.
 */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const ip = (m?.[1] ?? '').replace(/%.*$/, '');
    if (parseIp(ip) !== null && !out.includes(ip)) out.push(ip);
    if (out.length >= MAX_NAMESERVERS) break;
  }
  return out;
}

/** readSystemResolvConf: the text of /etc/resolv.conf, '' when it cannot be read. Never rejects. */
export function readSystemResolvConf(): Promise<string> {
  return readFile(RESOLV_CONF_PATH, 'utf8').catch(() => '');
}
