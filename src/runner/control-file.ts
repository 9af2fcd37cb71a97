/**
 * Recorded controls (`censorprobe control` writes them, `run --control-file` reads them): the
 * helper's answer for each target, measured earlier on an uncensored host, used offline. One JSON
 * object a line:
 *   {"kind":"censorprobe-control","version":1,"input":URL,"recorded_at":ISO,"source":"local"|HELPER_URL,
 *    "request":ThRequest,"response":ThResponse|null,"failure":string|null}
 * A recorded answer knows only the addresses the helper resolved (not the probe's), and it ages:
 * DNS answers change (CDNs rotate addresses within minutes to hours), so a control older than the
 * limit (default 24 h) cannot show DNS tampering: such a DNS verdict becomes inconclusive
 * (docs/control-file.md).
 */
import type { ControlRecord, ThRequest, ThResponse, Verdict } from '../model/index.js';

/** The `kind` of a control line. */
export const CONTROL_KIND = 'censorprobe-control';

/** One recorded control. */
export interface ControlFileEntry {
  input: string;
  recorded_at: string;
  source: string;
  request: ThRequest | null;
  response: ThResponse | null;
  failure: string | null;
}

/** A loaded control file. */
export interface ControlFile {
  /** As given (kept in each report line's `control.address`). */
  path: string;
  /** Normalised URL → entry (the last line for a URL wins). */
  entries: Map<string, ControlFileEntry>;
  /** Age limit, s. */
  maxAgeS: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * parseControlLine checks one line; returns the entry or a one-line reason. Pure. The response is
 * checked as a live helper answer is (an object with `dns`, `tcp_connect`, `http_request`).
 */
export function parseControlLine(text: string): ControlFileEntry | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `bad JSON (${e instanceof Error ? e.message : String(e)})`;
  }
  if (!isObject(v) || v['kind'] !== CONTROL_KIND) return `not a recorded control (no "kind": "${CONTROL_KIND}")`;
  if (v['version'] !== 1) return `unsupported version ${JSON.stringify(v['version'])?.slice(0, 20)} (this build reads 1)`;
  if (typeof v['input'] !== 'string') return 'no "input" URL';
  const at = v['recorded_at'];
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) return 'no valid "recorded_at" time';
  const r = v['response'];
  if (r !== null && (!isObject(r) || !isObject(r['dns']) || !isObject(r['tcp_connect']) || !isObject(r['http_request']))) return '"response" is not a test-helper answer';
  const f = v['failure'];
  if (f !== null && typeof f !== 'string') return '"failure" must be a string or null';
  return {
    input: v['input'],
    recorded_at: at,
    source: typeof v['source'] === 'string' ? v['source'] : 'unknown',
    request: isObject(v['request']) ? (v['request'] as unknown as ThRequest) : null,
    response: r as ThResponse | null,
    failure: f as string | null,
  };
}

/**
 * controlFromFile is the control of `url` from a recorded file at time `now`: `source: 'file'`,
 * `address` the file, the recorded answer, `recorded_at`, `age_s`, `max_age_s`. A target without a
 * recorded control gets `failure: 'unknown_failure: no recorded control for this target'` (then the verdict is
 * inconclusive, as with an unreachable helper). `t0`/`t` are the lookup time (no network). Pure.
 */
export function controlFromFile(file: ControlFile, url: string, now: Date, tS: number): ControlRecord {
  const e = file.entries.get(url);
  const base = { source: 'file' as const, address: file.path, dns_reference: null, t0: tS, t: tS, max_age_s: file.maxAgeS };
  if (e === undefined) return { ...base, request: null, response: null, failure: 'unknown_failure: no recorded control for this target', recorded_at: null, age_s: null };
  const age = Math.max(0, (now.getTime() - Date.parse(e.recorded_at)) / 1000);
  return { ...base, request: e.request, response: e.response, failure: e.failure, recorded_at: e.recorded_at, age_s: Math.round(age) };
}

/**
 * staleControlVerdict: a DNS verdict resting on a recorded control older than its limit becomes
 * inconclusive (the answers may have changed since); every other verdict is returned as is. Pure.
 */
export function staleControlVerdict(v: Verdict, control: ControlRecord): Verdict {
  if (control.source !== 'file' || typeof control.age_s !== 'number' || typeof control.max_age_s !== 'number') return v;
  if (control.age_s <= control.max_age_s || v.blocking !== 'dns') return v;
  const hours = (s: number): string => `${(s / 3600).toFixed(1)} h`;
  return {
    blocking: null,
    accessible: null,
    status: 'inconclusive',
    layers: [],
    reasons: [`the recorded control is ${hours(control.age_s)} old (limit ${hours(control.max_age_s)}): DNS answers may have changed since, so the DNS difference is not evidence`, ...v.reasons],
    ...(v.fingerprints !== undefined ? { fingerprints: v.fingerprints } : {}),
  };
}
