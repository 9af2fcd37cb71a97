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

/**
 * parseEndpoint splits `IP:PORT` / `[IPv6]:PORT` into its parts; null when `ep` is not an IP
 * literal with a port in 1-65535.
 */
export function parseEndpoint(ep: string): { ip: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(ep);
  if (!m) return null;
  const ip = (m[1] ?? m[2]) as string;
  const port = Number(m[3]);
  return isIP(ip) !== 0 && port >= 1 && port <= 65535 ? { ip, port } : null;
}
