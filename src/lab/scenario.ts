/**
 * scenario: the lab's scenario file format (`fixtures/scenarios/<name>.json`), its JSON Schema and
 * `loadScenario`. A scenario says how the world differs from docs/lab.md's standard world, what the
 * censor does to the probe's traffic, and which OONI keys and verdict the probe must produce.
 * The format is described for humans in src/lab/README.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import ipaddr from 'ipaddr.js';
import type { DnsConsistency, OoniBlocking, VerdictBlocking, VerdictStatus } from '../model/index.js';
import type { DnsRecord } from './world-hosts.js';

/** DnsChanges edits a resolver table: a record replaces the name's entry, `null` deletes it (NXDOMAIN). */
export type DnsChanges = Record<string, DnsRecord | null>;

/** WorldChanges: how the scenario's world differs from docs/lab.md's standard world. */
export interface WorldChanges {
  dns?: {
    /** Changes to the ISP table only: a censoring ISP resolver (docs/lab.md). Optional. */
    isp?: DnsChanges;
    /** Changes to the global table (clean and public resolvers): the real world changed. Optional. */
    global?: DnsChanges;
  };
}

/**
 * NftAction is what the kernel does to matching probe packets (nftables in the world namespace):
 * `drop` (a dropped SYN: the connect times out), `reject_tcp_reset` (RST: `connection_refused`),
 * `reject_host_unreachable` / `reject_admin_prohibited` (ICMP destination unreachable, code 1 / 13).
 */
export type NftAction = 'drop' | 'reject_tcp_reset' | 'reject_host_unreachable' | 'reject_admin_prohibited';

/** NftRule: an IP-level censor rule for the probe's packets to `ip` (and `port`, if given). */
export interface NftRule {
  kind: 'nft';
  action: NftAction;
  /** Destination IPv4 address. */
  ip: string;
  /** Destination port (1-65535). Optional; default: every port (and every protocol unless `protocol`). */
  port?: number;
  /** Transport protocol. Optional; default `tcp` when `port` is given or the action is `reject_tcp_reset`. */
  protocol?: 'tcp' | 'udp';
}

/**
 * DpiMatch: what the DPI middlebox looks for in the first client bytes. Every given field must
 * match (at least one is required):
 * - `sni`: the TLS ClientHello's server_name, exact and case-sensitive (netem ResetTrafficForTLSSNI);
 * - `host`: the HTTP request's Host header without port, case-insensitive;
 * - `contains`: a raw substring of the buffered client bytes (netem ResetTrafficForString);
 * - `sni_contains`: a substring of the ClientHello's server_name (the 2021 Russian policer matched
 *   `*t.co*`-style substrings, docs/throttling.md).
 */
export interface DpiMatch {
  sni?: string;
  host?: string;
  contains?: string;
  sni_contains?: string;
}

/**
 * DpiSimpleActionName: the actions without parameters (docs/lab.md): `reset` (RST:
 * `connection_reset`), `close` (FIN: `eof_error`), `blackhole` (silence, connection kept open: a
 * timeout), `inject_blockpage` (`HTTP/1.0 200 OK\r\n\r\n` + the 188-byte blockpage, then FIN).
 */
export type DpiSimpleActionName = 'reset' | 'close' | 'blackhole' | 'inject_blockpage';

/**
 * DpiActionSpec: an action in object form, `{type, ...parameters}`. The parameterised actions
 * splice to the real destination through a shaper (docs/throttling.md needs these):
 * - `delay`: every chunk, both directions, is held `ms` milliseconds (order kept);
 * - `rate_limit`: server-to-client bytes flow at most `bytes_per_second`;
 * - `freeze_after`: the first `bytes` server-to-client bytes flow, then nothing (connection kept open);
 * - `reset_residual`: RST, and every new connection to the same destination is reset for `ms`
 *   milliseconds whatever it carries (residual blocking, docs/throttling.md);
 * - `reset_on_data`: the connection is spliced; the first application data the client sends after
 *   a completed TLS handshake (its second TLS 1.3 application_data record; for plain TCP, its
 *   first bytes after the match) gets an RST.
 */
export type DpiActionSpec =
  | { type: DpiSimpleActionName }
  | { type: 'delay'; ms: number }
  | { type: 'rate_limit'; bytes_per_second: number }
  | { type: 'freeze_after'; bytes: number }
  | { type: 'reset_residual'; ms: number }
  | { type: 'reset_on_data' };

/** DpiActionName: every action's name. */
export type DpiActionName = DpiActionSpec['type'];

/**
 * DpiAction: a simple action's name, or an action object. The middlebox dispatches on `type`
 * through a table, so a new action is a type member, a schema branch and a table row.
 */
export type DpiAction = DpiSimpleActionName | DpiActionSpec;

/** DpiRule: a userspace DPI rule on the probe's TCP connections to `dst` (netem's per-destination rules). */
export interface DpiRule {
  kind: 'dpi';
  match: DpiMatch;
  dst: { ip: string; port: number };
  action: DpiAction;
}

/**
 * DnsRule: DNS forgery for the probe's UDP queries to any lab resolver whose single question name
 * equals `name` (case-insensitive): `nxdomain`, `answer` with the forged A records `a` (AAAA gets
 * an empty NOERROR), or `drop` (the query is silently dropped: no reply, the probe times out). Models netem's SpoofDNSResponse; applied by the lab's DNS servers to queries
 * from the probe's address only.
 */
export interface DnsRule {
  kind: 'dns';
  name: string;
  action: 'nxdomain' | 'answer' | 'drop';
  /** Forged A records; required when `action` is `answer`. */
  a?: string[];
}

/** CensorRule: one rule of the censor, evaluated in file order (first match wins per connection). */
export type CensorRule = NftRule | DpiRule | DnsRule;

/** ExpectedOoni: the catalog's `expected` keys (OONI Web Connectivity LTE headline keys). */
export interface ExpectedOoni {
  blocking: OoniBlocking;
  accessible: boolean | null;
  dns_consistency: DnsConsistency;
  dns_experiment_failure: string | null;
  http_experiment_failure: string | null;
  control_failure: string | null;
  body_length_match: boolean | null;
  status_code_match: boolean | null;
  headers_match: boolean | null;
  title_match: boolean | null;
}

/** ExpectedOoniExtra: the catalog's `expected_extra` (LTE flags; depend on the probe's DoH/UDP paths). */
export interface ExpectedOoniExtra {
  body_proportion: number;
  x_dns_flags: number;
  x_blocking_flags: number;
  x_null_null_flags: number;
}

/** ExpectedVerdict: our verdict's headline (docs/verdict-rules.md). */
export interface ExpectedVerdict {
  blocking: VerdictBlocking;
  accessible: boolean | null;
  status: VerdictStatus;
}

/** Scenario: one lab scenario file. */
export interface Scenario {
  /** Unique name (the catalog's name for catalog scenarios). */
  name: string;
  description: string;
  /** The URL the probe measures. */
  input: string;
  /** Where the scenario comes from (e.g. `catalog.json#successWithHTTP`). Optional. */
  source?: string;
  /** World changes. Optional; default: the standard world. */
  world?: WorldChanges;
  /** Censor rules, in order. Empty: no censorship. */
  censor: CensorRule[];
  /** Extra arguments for `censorprobe run` in this scenario. Optional; default none. */
  probe_args?: string[];
  /**
   * Whether the lab starts `censorprobe helper` at 0.th.ooni.org (68.183.70.80:80): `run` (default)
   * or `none` (nothing listens there, so the probe's control request is refused: a helper that is
   * down; block a running helper with a censor rule on 68.183.70.80:80 instead). Optional.
   */
  helper?: 'run' | 'none';
  expected: {
    ooni: ExpectedOoni;
    /** Optional: OONI's extra flags for the scenario. */
    ooni_extra?: ExpectedOoniExtra;
    verdict: ExpectedVerdict;
    /**
     * Optional: whether some UDP DNS query of the probe records a late reply (`late_replies`, the
     * genuine answer arriving after a forged one). Checked only when given.
     */
    dns_late_replies?: boolean;
    /**
     * Optional: failure strings that must each appear in some probe observation (`queries`,
     * `tcp_connect`, `tls_handshakes`, `requests`), e.g. `network_unreachable` for a broken IPv6.
     */
    observed_failures?: string[];
    /**
     * Optional: keys the lab cannot reproduce faithfully, each with the reason, e.g.
     * `{"ooni_extra.x_blocking_flags": "the lab's …"}`. The scenario check lists them as not
     * compared (docs/lab.md "What the lab cannot do"). Keys: `ooni.K`, `ooni_extra.K`, `verdict.K`.
     */
    lab_limits?: Record<string, string>;
  };
}

const ipv4 = { type: 'string', pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$' } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const nullableString = { type: ['string', 'null'] } as const;
const nullableBool = { type: ['boolean', 'null'] } as const;
const dpiSimpleActionName = { enum: ['reset', 'close', 'blackhole', 'inject_blockpage'] } as const;
const dpiActionObject = (type: string, param: string | null, minimum: number) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: param === null ? ['type'] : ['type', param],
    properties: { type: { const: type }, ...(param === null ? {} : { [param]: { type: 'integer', minimum } }) },
  }) as const;
/** An HTTPS record (src/lab/https-record.ts HttpsRecordSpec): what the encoder accepts. */
const httpsRecord = {
  type: 'object',
  additionalProperties: false,
  required: ['priority', 'target'],
  properties: {
    priority: { type: 'integer', minimum: 0, maximum: 65535 },
    target: { type: 'string', pattern: '^(\\.|([A-Za-z0-9_-]{1,63}\\.)*[A-Za-z0-9_-]{1,63}\\.?)$', maxLength: 253 },
    alpn: { type: 'array', minItems: 1, maxItems: 16, items: { type: 'string', pattern: '^[!-~]{1,255}$' } },
    port,
    ech: { type: 'string', minLength: 4, pattern: '^[A-Za-z0-9+/]+={0,2}$' },
  },
} as const;
const dnsRecord = {
  type: 'object',
  additionalProperties: false,
  properties: {
    a: { type: 'array', items: ipv4 },
    aaaa: { type: 'array', items: { type: 'string' } },
    cname: { type: 'string', minLength: 1 },
    https: { type: 'array', maxItems: 16, items: httpsRecord },
  },
} as const;
const dnsChanges = { type: 'object', additionalProperties: { anyOf: [{ type: 'null' }, dnsRecord] } } as const;

/** SCENARIO_SCHEMA is the JSON Schema (draft-07, checked with ajv) of a scenario file. */
export const SCENARIO_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'input', 'censor', 'expected'],
  properties: {
    $comment: { type: 'string' },
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
    description: { type: 'string' },
    input: { type: 'string', pattern: '^https?://' },
    source: { type: 'string' },
    world: {
      type: 'object',
      additionalProperties: false,
      properties: {
        dns: {
          type: 'object',
          additionalProperties: false,
          properties: { isp: dnsChanges, global: dnsChanges },
        },
      },
    },
    censor: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind'],
        properties: { kind: { enum: ['nft', 'dpi', 'dns'] } },
        allOf: [
          {
            if: { properties: { kind: { const: 'nft' } } },
            then: {
              additionalProperties: false,
              required: ['kind', 'action', 'ip'],
              properties: {
                kind: {},
                action: { enum: ['drop', 'reject_tcp_reset', 'reject_host_unreachable', 'reject_admin_prohibited'] },
                ip: ipv4,
                port,
                protocol: { enum: ['tcp', 'udp'] },
              },
            },
          },
          {
            if: { properties: { kind: { const: 'dpi' } } },
            then: {
              additionalProperties: false,
              required: ['kind', 'match', 'dst', 'action'],
              properties: {
                kind: {},
                match: {
                  type: 'object',
                  additionalProperties: false,
                  minProperties: 1,
                  properties: {
                    sni: { type: 'string', minLength: 1 },
                    host: { type: 'string', minLength: 1 },
                    contains: { type: 'string', minLength: 1 },
                    sni_contains: { type: 'string', minLength: 1 },
                  },
                },
                dst: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['ip', 'port'],
                  properties: { ip: ipv4, port },
                },
                action: {
                  anyOf: [
                    dpiSimpleActionName,
                    {
                      type: 'object',
                      additionalProperties: false,
                      required: ['type'],
                      properties: { type: dpiSimpleActionName },
                    },
                    dpiActionObject('delay', 'ms', 0),
                    dpiActionObject('rate_limit', 'bytes_per_second', 1),
                    dpiActionObject('freeze_after', 'bytes', 0),
                    dpiActionObject('reset_residual', 'ms', 1),
                    dpiActionObject('reset_on_data', null, 0),
                  ],
                },
              },
            },
          },
          {
            if: { properties: { kind: { const: 'dns' } } },
            then: {
              additionalProperties: false,
              required: ['kind', 'name', 'action'],
              properties: {
                kind: {},
                name: { type: 'string', minLength: 1 },
                action: { enum: ['nxdomain', 'answer', 'drop'] },
                a: { type: 'array', items: ipv4 },
              },
              if: { properties: { action: { const: 'answer' } } },
              then: { required: ['a'] },
            },
          },
        ],
      },
    },
    probe_args: { type: 'array', items: { type: 'string' } },
    helper: { enum: ['run', 'none'] },
    expected: {
      type: 'object',
      additionalProperties: false,
      required: ['ooni', 'verdict'],
      properties: {
        ooni: {
          type: 'object',
          additionalProperties: false,
          required: [
            'blocking',
            'accessible',
            'dns_consistency',
            'dns_experiment_failure',
            'http_experiment_failure',
            'control_failure',
            'body_length_match',
            'status_code_match',
            'headers_match',
            'title_match',
          ],
          properties: {
            blocking: { enum: ['dns', 'tcp_ip', 'http-failure', 'http-diff', false, null] },
            accessible: nullableBool,
            dns_consistency: { enum: ['consistent', 'inconsistent', null] },
            dns_experiment_failure: nullableString,
            http_experiment_failure: nullableString,
            control_failure: nullableString,
            body_length_match: nullableBool,
            status_code_match: nullableBool,
            headers_match: nullableBool,
            title_match: nullableBool,
          },
        },
        ooni_extra: {
          type: 'object',
          additionalProperties: false,
          required: ['body_proportion', 'x_dns_flags', 'x_blocking_flags', 'x_null_null_flags'],
          properties: {
            body_proportion: { type: 'number' },
            x_dns_flags: { type: 'integer' },
            x_blocking_flags: { type: 'integer' },
            x_null_null_flags: { type: 'integer' },
          },
        },
        dns_late_replies: { type: 'boolean' },
        observed_failures: { type: 'array', items: { type: 'string', minLength: 1 } },
        lab_limits: {
          type: 'object',
          propertyNames: { pattern: '^(ooni|ooni_extra|verdict)\\.[a-z_]+$' },
          additionalProperties: { type: 'string', minLength: 10 },
        },
        verdict: {
          type: 'object',
          additionalProperties: false,
          required: ['blocking', 'accessible', 'status'],
          properties: {
            blocking: { enum: ['dns', 'tcp_ip', 'tls', 'http-failure', 'http-diff', 'throttling', null] },
            accessible: nullableBool,
            status: { enum: ['ok', 'anomaly', 'confirmed', 'down', 'inconclusive'] },
          },
        },
      },
    },
  },
} as const;

/** ScenarioError is thrown by `loadScenario`/`parseScenario`; its message is one line naming the file and the problem. */
export class ScenarioError extends Error {
  readonly code = 'ERR_PROBE_SCENARIO';
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

const ajv = new Ajv({ allErrors: false, strict: false });
const validate = ajv.compile(SCENARIO_SCHEMA);

/** Keywords that only say which `anyOf` alternative a value is not (null, a string form, another action type). */
const ALTERNATIVE_KEYWORDS = new Set(['anyOf', 'oneOf', 'type', 'const', 'enum']);

/**
 * describeAjvErrors: the one error worth printing. Under `anyOf` (a DNS record or null, an action
 * name or an action object) ajv lists one error per alternative, and the first is usually "must be
 * null" at the record rather than the bad field inside it; so an error about a field's content
 * (pattern, required, range...) is preferred, the deepest first, else the deepest of all.
 */
function describeAjvErrors(errors: ErrorObject[]): string {
  const specific = errors.filter((e) => !ALTERNATIVE_KEYWORDS.has(e.keyword));
  const pool = specific.length > 0 ? specific : errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  const deepest = pool.reduce<ErrorObject | undefined>((best, e) => (best === undefined || e.instancePath.length > best.instancePath.length ? e : best), undefined);
  return deepest ? describeAjvError(deepest) : 'is invalid';
}

function describeAjvError(err: ErrorObject): string {
  const where = err.instancePath === '' ? '(root)' : err.instancePath;
  const extra =
    err.keyword === 'additionalProperties'
      ? ` '${String((err.params as { additionalProperty?: unknown }).additionalProperty)}'`
      : err.keyword === 'enum'
        ? ` ${JSON.stringify((err.params as { allowedValues?: unknown }).allowedValues)}`
        : '';
  return `${where} ${err.message ?? 'is invalid'}${extra}`;
}

function checkIp(value: string, where: string, origin: string): void {
  if (!ipaddr.IPv4.isValidFourPartDecimal(value)) {
    throw new ScenarioError(`${origin}: ${where} is not a valid IPv4 address: ${JSON.stringify(value)}`);
  }
}

/**
 * parseScenario validates `data` (already-parsed JSON) as a Scenario. `origin` names the file in
 * error messages. Returns the scenario; throws ScenarioError (one line: `<origin>: <path> <problem>`)
 * on a schema violation, a bad IPv4 address or a bad input URL.
 */
export function parseScenario(data: unknown, origin = '<scenario>'): Scenario {
  if (!validate(data)) {
    throw new ScenarioError(`${origin}: ${describeAjvErrors(validate.errors ?? [])}`);
  }
  const scenario = data as unknown as Scenario;
  try {
    new URL(scenario.input);
  } catch {
    throw new ScenarioError(`${origin}: /input is not a valid URL: ${JSON.stringify(scenario.input)}`);
  }
  scenario.censor.forEach((rule, i) => {
    if (rule.kind === 'nft') checkIp(rule.ip, `/censor/${i}/ip`, origin);
    if (rule.kind === 'dpi') checkIp(rule.dst.ip, `/censor/${i}/dst/ip`, origin);
    if (rule.kind === 'dns') rule.a?.forEach((ip, j) => checkIp(ip, `/censor/${i}/a/${j}`, origin));
  });
  for (const table of ['isp', 'global'] as const) {
    for (const [name, record] of Object.entries(scenario.world?.dns?.[table] ?? {})) {
      record?.a?.forEach((ip, j) => checkIp(ip, `/world/dns/${table}/${name}/a/${j}`, origin));
    }
  }
  return scenario;
}

/** SCENARIOS_DIR is the absolute path of `fixtures/scenarios/` (same depth from src/lab and dist/lab). */
export const SCENARIOS_DIR = resolve(fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url)));

/**
 * LAB_FINGERPRINTS is the lab's own fingerprint file (`fixtures/fingerprints/lab.jsonl`): the
 * simulated world's blockpage, whose generic wording is not shipped in the curated set. Every probe
 * the lab runs gets it with `--fingerprints`.
 */
export const LAB_FINGERPRINTS = resolve(fileURLToPath(new URL('../../fixtures/fingerprints/lab.jsonl', import.meta.url)));

/** The file of a scenario name: `fixtures/scenarios/NAME.json`, else `fixtures/scenarios/<group>/NAME.json`. */
function scenarioFileByName(name: string): string {
  const top = join(SCENARIOS_DIR, `${name}.json`);
  if (existsSync(top)) return top;
  for (const d of readdirSync(SCENARIOS_DIR, { withFileTypes: true })) {
    const f = join(SCENARIOS_DIR, d.name, `${name}.json`);
    if (d.isDirectory() && existsSync(f)) return f;
  }
  return top;
}

/**
 * loadScenario reads and validates a scenario. `pathOrName` is a file path (contains `/` or ends in
 * `.json`; relative to the working directory) or a bare name looked up as
 * `fixtures/scenarios/<name>.json`, then in its
 * group folders (`fixtures/scenarios/<group>/<name>.json`). Returns the Scenario; throws ScenarioError with a one-line
 * message naming the file and the problem (unreadable file, invalid JSON, schema violation).
 */
export function loadScenario(pathOrName: string): Scenario {
  const isPath = pathOrName.includes('/') || pathOrName.endsWith('.json');
  const file = isPath ? (isAbsolute(pathOrName) ? pathOrName : resolve(pathOrName)) : scenarioFileByName(pathOrName);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'read error';
    throw new ScenarioError(`${file}: cannot read scenario (${code})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(`${file}: invalid JSON: ${(err as Error).message.replace(/\s+/g, ' ')}`);
  }
  return parseScenario(data, file);
}
