/**
 * Parsing and validation of command-line values. Each parser throws a {@link UsageError} whose
 * message names the option and what is wrong, in one line.
 */
import { InvalidArgumentError } from 'commander';
import { isIP } from 'node:net';
import type { FlowOptions } from '../flows/index.js';

/**
 * A bad argument or input: exit code 2. Printed as ONE line (main.ts escapes it with `safeText`:
 * a newline in a file name or in a quoted parser message shows as `\x0a`), unless `multiline`
 * (a `FILE:LINE: reason` list, one per line, each line escaped).
 */
export class UsageError extends Error {
  readonly code = 'ERR_PROBE_USAGE';
  constructor(
    message: string,
    /** The message is a list of lines (each escaped on its own). Default false: one line. */
    readonly multiline = false,
  ) {
    super(message);
  }
}

/**
 * parserMessage is a parser's error message (JSON.parse, csv-parse...) fit for a one-line error:
 * runs of white space (the input's own newlines, which newer V8 quotes) become one space, cut to
 * `max` characters (default 200). Escaping for the terminal is still the printer's (escape.ts).
 */
export function parserMessage(e: unknown, max = 200): string {
  const s = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Parses a positive integer in [min, max]; `what` names the option in the error. */
export function intOption(what: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`${what} must be a whole number, got '${v}'`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${what} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

/**
 * fileOption returns the option parser of a file name (`-o`): the name as given; throws
 * InvalidArgumentError (a one-line usage error, exit 2) for an empty or blank one, which would
 * otherwise resolve to the current directory, and for one starting with `=` (`-o=x` is not
 * `--output=x`).
 */
export function fileOption(what: string): (v: string) => string {
  return (v: string) => {
    if (v.trim() === '') throw new InvalidArgumentError(`${what} needs a file name, got an empty one`);
    // `-o=x.jsonl` gives the short option the value `=x.jsonl` (POSIX utility syntax has no `=` for short options).
    if (v.startsWith('=')) throw new InvalidArgumentError(`${what} got '${v}': write ${what} FILE or --output=FILE (a file name starting with '=' is refused; use ./${v} if you mean it)`);
    return v;
  };
}

/**
 * Parses `--resolver`: `system`, `udp://IP[:PORT]` (port 53 by default; IPv6 in brackets) or a
 * DoH URL `https://...`.
 */
export function parseResolver(v: string): FlowOptions['resolver'] {
  if (v === 'system') return { kind: 'system' };
  if (v.startsWith('https://')) {
    try {
      return { kind: 'doh', url: new URL(v).href };
    } catch {
      throw new InvalidArgumentError(`'${v}' is not a valid DoH URL`);
    }
  }
  const m = /^udp:\/\/(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+))(?::(\d{1,5}))?\/?$/.exec(v);
  const ip = m ? (m[1] ?? m[2] ?? '') : '';
  if (!m || isIP(ip) === 0) throw new InvalidArgumentError(`'${v}' is not 'system', 'udp://IP[:PORT]' or an https:// DoH URL`);
  const port = m[3] !== undefined ? Number(m[3]) : 53;
  if (port < 1 || port > 65535) throw new InvalidArgumentError(`port ${port} is out of range`);
  return { kind: 'udp', ip, port };
}

/** Parses `--shard I/N` (1-based I), or `auto` (a Kubernetes Indexed Job's index: commands/shard.ts). */
export function parseShard(v: string): { index: number; count: number } | 'auto' {
  if (v.trim() === 'auto') return 'auto';
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`'${v}' is not I/N (e.g. 2/4) or auto`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new InvalidArgumentError(`shard ${v}: I must be between 1 and N`);
  return { index, count };
}

/** Parses an http(s) URL option. */
export function parseHttpUrl(what: string): (v: string) => string {
  return (v: string) => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new InvalidArgumentError(`${what} '${v}' is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`${what} '${v}' must be http:// or https://`);
    return u.href;
  };
}

/** Parses a DNS-over-HTTPS resolver URL (`--doh`): https only (RFC 8484). */
export function parseDohUrl(v: string): string {
  const url = parseHttpUrl('--doh')(v);
  if (!url.startsWith('https://')) throw new InvalidArgumentError(`--doh '${v}' must be an https:// URL (DNS-over-HTTPS)`);
  return url;
}

/** Parses `--listen ADDR:PORT` (IPv6 in brackets). */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`'${v}' is not ADDR:PORT (e.g. 127.0.0.1:8080)`);
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidArgumentError(`port ${port} is out of range`);
  return { host: (m[1] ?? m[2]) as string, port };
}

/** Appends repeated option values. */
export function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/**
 * readCaFiles reads the PEM files of `--ca-file` (extra trusted CAs; verification is never
 * disabled). Returns their texts in order. Throws {@link UsageError} naming the file when one
 * cannot be read or holds no PEM certificate.
 */
export async function readCaFiles(files: readonly string[]): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const out: string[] = [];
  for (const file of files) {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--ca-file ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca-file ${file}: no PEM certificate in the file`);
    out.push(pem);
  }
  return out;
}
