/**
 * Endpoints: `IP:PORT` strings as OONI writes them (IPv6 in brackets: `[2001:db8::1]:443`).
 */
import { isIP } from 'node:net';

/**
 * formatEndpoint returns `IP:PORT` (`[IPv6]:PORT` for IPv6). Throws TypeError when `ip` is not an
 * IP literal (programmer error).
 */
export function formatEndpoint(ip: string, port: number): string {
  const family = isIP(ip);
  if (family === 0) throw new TypeError(`formatEndpoint: not an IP literal: ${ip}`);
  return family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}
