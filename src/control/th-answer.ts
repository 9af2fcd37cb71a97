/**
 * The boundary of the control: a helper's answer is untrusted JSON. This module normalises the
 * Go-style nulls an OONI helper sends for empty maps and slices (Go's `encoding/json` writes a nil
 * map or slice as `null`) in ONE place, then validates the answer with ajv against the shape the
 * classifier reads (docs/measurement-model.md of `model.THResponse`, our `x_censorprobe` extension;
 * docs/helper-protocol.md). Anything that does not fit is a control failure, never an exception:
 * `{"dns":null,"http_request":null,"tcp_connect":null}` ends as a failed control, not an internal error.
 */
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ThResponse } from '../model/index.js';

/** Largest number of entries in one map of the answer (endpoints, ip_info, headers). */
const MAX_MAP_ENTRIES = 1024;
/** Largest number of addresses, hops. */
const MAX_ADDRS = 256;
const MAX_HOPS = 64;
const MAX_STRING = 64 * 1024;

const failureSchema = { type: ['string', 'null'], maxLength: 4096 } as const;
const stringMap = { type: 'object', maxProperties: MAX_MAP_ENTRIES, additionalProperties: { type: 'string', maxLength: MAX_STRING } } as const;
const addrs = { type: 'array', maxItems: MAX_ADDRS, items: { type: 'string', maxLength: 64 } } as const;
const tcpMap = { type: 'object', maxProperties: MAX_MAP_ENTRIES, additionalProperties: { type: 'object', required: ['status', 'failure'], properties: { status: { type: 'boolean' }, failure: failureSchema } } } as const;
const tlsMap = {
  type: 'object',
  maxProperties: MAX_MAP_ENTRIES,
  additionalProperties: { type: 'object', required: ['server_name', 'status', 'failure'], properties: { server_name: { type: 'string', maxLength: 512 }, status: { type: 'boolean' }, failure: failureSchema } },
} as const;
const httpResult = {
  type: 'object',
  required: ['body_length', 'failure', 'title', 'headers', 'status_code'],
  properties: {
    body_length: { type: 'integer', minimum: -1 },
    discovered_h3_endpoint: { type: 'string', maxLength: 512 },
    failure: failureSchema,
    title: { type: 'string', maxLength: MAX_STRING },
    headers: stringMap,
    status_code: { type: 'integer', minimum: -1, maximum: 999 },
  },
} as const;
const hopSchema = {
  type: 'object',
  required: ['url', 'depth', 'dns', 'tcp_connect', 'tls_handshake', 'http_request'],
  properties: {
    url: { type: 'string', maxLength: 8192 },
    depth: { type: 'integer', minimum: 0, maximum: MAX_HOPS },
    dns: { type: 'object', required: ['failure', 'addrs'], properties: { failure: failureSchema, addrs } },
    tcp_connect: tcpMap,
    tls_handshake: tlsMap,
    http_request: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['failure', 'status_code', 'body_length', 'title', 'headers', 'location'],
          properties: {
            failure: failureSchema,
            status_code: { type: 'integer', minimum: -1, maximum: 999 },
            body_length: { type: 'integer', minimum: -1 },
            body_is_truncated: { type: 'boolean' },
            title: { type: 'string', maxLength: MAX_STRING },
            headers: stringMap,
            location: { type: ['string', 'null'], maxLength: 8192 },
            goodput_bps: { type: ['number', 'null'], minimum: 0 },
            duration_ms: { type: 'number', minimum: 0 },
            body_bytes: { type: 'integer', minimum: 0 },
          },
        },
      ],
    },
  },
} as const;

/** JSON Schema (draft-07) of a helper answer after null normalisation. */
export const TH_ANSWER_SCHEMA = {
  type: 'object',
  required: ['tcp_connect', 'http_request', 'dns'],
  properties: {
    tcp_connect: tcpMap,
    tls_handshake: tlsMap,
    quic_handshake: { type: 'object' },
    http_request: httpResult,
    http3_request: { anyOf: [{ type: 'null' }, httpResult] },
    dns: { type: 'object', required: ['failure', 'addrs'], properties: { failure: failureSchema, addrs } },
    ip_info: {
      type: 'object',
      maxProperties: MAX_MAP_ENTRIES,
      additionalProperties: { type: 'object', required: ['asn', 'flags'], properties: { asn: { type: 'integer', minimum: 0 }, flags: { type: 'integer', minimum: 0 } } },
    },
    x_censorprobe: { type: 'object', required: ['software', 'hops'], properties: { software: { type: 'string', maxLength: 256 }, hops: { type: 'array', maxItems: MAX_HOPS, items: hopSchema } } },
  },
} as const;

/**
 * The compiled validator, made on the first answer (loading ajv and compiling cost ~120 ms: a run without a helper
 * never pays it, one with a helper pays it while its first measurements wait on the network).
 */
let compiled: ValidateFunction | null = null;
function validator(): ValidateFunction {
  if (compiled === null) {
    // ajv itself is loaded then too (~40 ms of start-up otherwise); its CommonJS exports carry `Ajv`.
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    compiled = new Ajv({ allErrors: false, strict: false, allowUnionTypes: true }).compile(TH_ANSWER_SCHEMA);
  }
  return compiled;
}

/** The outcome of {@link parseThAnswer}: the normalised answer, or a failure string for `ControlRecord.failure`. */
export type ThAnswer = { ok: true; response: ThResponse } | { ok: false; failure: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Replaces `o[key]` by `empty` when it is null (a Go nil map or slice). */
function nilToEmpty(o: Record<string, unknown>, key: string, empty: () => unknown): void {
  if (key in o && o[key] === null) o[key] = empty();
}

function normaliseHttp(h: unknown): void {
  if (!isObject(h)) return;
  nilToEmpty(h, 'headers', () => ({}));
  nilToEmpty(h, 'title', () => '');
  nilToEmpty(h, 'discovered_h3_endpoint', () => '');
}

function normaliseDns(d: unknown): void {
  if (isObject(d)) nilToEmpty(d, 'addrs', () => []);
}

/**
 * normaliseGoNulls rewrites, in place, every Go nil map or slice of an answer (`null` where OONI's
 * `model.THResponse` has a map or a list) into `{}` or `[]`: `tcp_connect`, `tls_handshake`,
 * `quic_handshake`, `ip_info`, `dns.addrs`, `http_request.headers` (and `title`), the same inside our
 * per-hop extension; a null `x_censorprobe` is removed. `dns` and `http_request` themselves are
 * results, not maps: null there stays null (and fails validation). Returns its argument.
 */
export function normaliseGoNulls(v: unknown): unknown {
  if (!isObject(v)) return v;
  for (const key of ['tcp_connect', 'tls_handshake', 'quic_handshake', 'ip_info']) nilToEmpty(v, key, () => ({}));
  normaliseDns(v['dns']);
  normaliseHttp(v['http_request']);
  normaliseHttp(v['http3_request']);
  if (v['x_censorprobe'] === null) delete v['x_censorprobe'];
  const ext = v['x_censorprobe'];
  if (isObject(ext)) {
    nilToEmpty(ext, 'hops', () => []);
    if (Array.isArray(ext['hops'])) {
      for (const hop of ext['hops']) {
        if (!isObject(hop)) continue;
        nilToEmpty(hop, 'tcp_connect', () => ({}));
        nilToEmpty(hop, 'tls_handshake', () => ({}));
        normaliseDns(hop['dns']);
        normaliseHttp(hop['http_request']);
      }
    }
  }
  return v;
}

function describe(err: ErrorObject | undefined): string {
  if (err === undefined) return 'does not match the test-helper format';
  const where = err.instancePath === '' ? 'the answer' : err.instancePath.replace(/^\//, '').replace(/\//g, '.');
  return `${where} ${err.message ?? 'is invalid'}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

/**
 * parseThAnswer parses a helper's answer (JSON text, untrusted): JSON.parse, Go-null
 * normalisation ({@link normaliseGoNulls}), then validation ({@link TH_ANSWER_SCHEMA}). Never
 * throws. Failures (one line, printable ASCII): `unknown_failure: helper answered invalid JSON`,
 * `unknown_failure: helper answer has no dns and no http_request result` (an OONI helper that
 * measured nothing), `unknown_failure: invalid helper answer: <path> <problem>`.
 */
export function parseThAnswer(text: string): ThAnswer {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, failure: 'unknown_failure: helper answered invalid JSON' };
  }
  normaliseGoNulls(v);
  if (isObject(v) && (v['dns'] ?? null) === null && (v['http_request'] ?? null) === null) {
    return { ok: false, failure: 'unknown_failure: helper answer has no dns and no http_request result' };
  }
  const validate = validator();
  if (!validate(v)) return { ok: false, failure: `unknown_failure: invalid helper answer: ${describe(validate.errors?.[0])}` };
  return { ok: true, response: v as unknown as ThResponse };
}
