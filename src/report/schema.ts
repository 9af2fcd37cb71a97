/**
 * Validation of report lines against the published JSON Schema `schema/report-line.schema.json`
 * (draft 2020-12), with ajv.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Ajv2020 as Ajv2020Class, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';

/** Path of the schema file relative to the package root. */
export const REPORT_SCHEMA_RELATIVE_PATH = 'schema/report-line.schema.json';

/** The result of {@link validateRecord}: ok, or readable error lines (`/json/pointer: message`). */
export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

/**
 * ajv's draft 2020-12 class, loaded when a validator is first compiled: the modules that import this
 * one (the report writer's index, `run`) rarely validate, and loading ajv costs ~40 ms of start-up
 * (`npm run bench`). ajv is CommonJS: `module.exports` has the class as `default`.
 */
let ajvClass: typeof Ajv2020Class | null = null;
function Ajv2020(): typeof Ajv2020Class {
  if (ajvClass === null) {
    const m = createRequire(import.meta.url)('ajv/dist/2020.js') as { default?: typeof Ajv2020Class };
    ajvClass = m.default ?? (m as unknown as typeof Ajv2020Class);
  }
  return ajvClass;
}

let compiled: ValidateFunction | null = null;

/**
 * findPackageRoot walks up from `startDir` to the first directory holding a `package.json`.
 * Works from `src/report/` (tsx, vitest) and from `dist/src/report/` (built). Throws Error when no
 * `package.json` is found (a broken install: programmer/packaging error).
 */
export function findPackageRoot(startDir: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = startDir;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`censorprobe: no package.json above ${startDir}`);
    dir = parent;
  }
}

/**
 * reportSchemaPath is the absolute path of `schema/report-line.schema.json` in this package.
 * Throws like {@link findPackageRoot}.
 */
export function reportSchemaPath(): string {
  return join(findPackageRoot(), REPORT_SCHEMA_RELATIVE_PATH);
}

/**
 * loadReportSchema reads and parses the schema file (synchronously, once per call).
 * Throws when the file is missing or is not JSON (a packaging error).
 */
export function loadReportSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(reportSchemaPath(), 'utf8')) as Record<string, unknown>;
}

/** The compiled validator, built on first use. */
function validator(): ValidateFunction {
  if (compiled === null) {
    const ajv = new (Ajv2020())({ allErrors: true, strict: true, allowUnionTypes: true });
    compiled = ajv.compile(loadReportSchema());
  }
  return compiled;
}

/**
 * validateRecord checks one parsed report line against `schema/report-line.schema.json`.
 *
 * Returns `{ ok: true }`, or `{ ok: false, errors }` where each error reads
 * `<JSON pointer or "/">: <ajv message>`, with the offending key named for unknown and missing
 * properties, e.g. `/: must NOT have additional property 'probe_ip'` or
 * `/verdict: must have required property 'status'`. Never throws for a bad record; throws only if
 * the schema file itself is missing or invalid (packaging error). The schema is compiled once.
 */
export function validateRecord(record: unknown): ValidationResult {
  const validate = validator();
  if (validate(record)) return { ok: true };
  return { ok: false, errors: formatErrors(validate.errors ?? []) };
}

/** Readable, de-duplicated error lines. */
function formatErrors(errors: readonly ErrorObject[]): string[] {
  const lines: string[] = [];
  for (const error of errors) {
    const where = error.instancePath === '' ? '/' : error.instancePath;
    let message = error.message ?? error.keyword;
    if (error.keyword === 'additionalProperties') {
      message = `must NOT have additional property '${String(error.params['additionalProperty'])}'`;
    } else if (error.keyword === 'enum' || error.keyword === 'const') {
      const allowed = error.keyword === 'enum' ? error.params['allowedValues'] : [error.params['allowedValue']];
      message = `${message}: ${JSON.stringify(allowed)}`;
    }
    const line = `${where}: ${message}`;
    if (!lines.includes(line)) lines.push(line);
  }
  return lines;
}

/**
 * How much of a line {@link validateReportLine} checks: `full`, the whole schema (for `analyze
 * --reclassify`, which uses every observation); `verdict`, the parts a summary reads
 * (`schema_version`, `input` and `verdict`, with the same definitions of the same schema file),
 * about 5x faster on real lines, for `analyze` without `--reclassify`.
 */
export type ValidationScope = 'full' | 'verdict';

let verdictOnly: ValidateFunction | null = null;

function scopedValidator(scope: ValidationScope): ValidateFunction {
  if (scope === 'full') return validator();
  if (verdictOnly === null) {
    // The verdict's definitions compiled alone (the verdict and the evidence entries it refers to):
    // compiling the whole schema costs ~0.5 s of CPU, a summary should not pay it.
    const schema = loadReportSchema() as { properties: Record<string, unknown>; $defs: Record<string, unknown> };
    const ajv = new (Ajv2020())({ allErrors: true, strict: true, allowUnionTypes: true });
    verdictOnly = ajv.compile({
      type: 'object',
      required: ['schema_version', 'input', 'verdict'],
      properties: {
        schema_version: schema.properties['schema_version'],
        input: schema.properties['input'],
        verdict: { $ref: '#/$defs/verdict' },
      },
      $defs: Object.fromEntries(Object.entries(schema.$defs).filter(([k]) => k === 'verdict' || k.startsWith('verdict_'))),
    });
  }
  return verdictOnly;
}

/**
 * validateReportLine checks a line read back by `analyze` (or any reader of stored reports)
 * against `schema/report-line.schema.json` (the whole schema, or the `verdict` scope: see
 * {@link ValidationScope}), tolerant of other versions of the format: lines of older 1.x versions
 * validate as they are (every field added since 1.0.0 is optional); for a line of a NEWER minor
 * version than this build's `ownVersion` (SCHEMA_VERSION), properties this build does not know
 * (`additionalProperties` errors) are accepted, since a minor version only adds optional fields.
 * Returns like {@link validateRecord}. Never throws for a bad record.
 */
export function validateReportLine(record: unknown, ownVersion: string, scope: ValidationScope = 'full'): ValidationResult {
  const validate = scopedValidator(scope);
  if (validate(record)) return { ok: true };
  let errors = validate.errors ?? [];
  const version = (record as { schema_version?: unknown } | null)?.schema_version;
  if (typeof version === 'string' && isNewerMinor(version, ownVersion)) {
    errors = errors.filter((e) => e.keyword !== 'additionalProperties');
    if (errors.length === 0) return { ok: true };
  }
  return { ok: false, errors: formatErrors(errors) };
}

/** True when `v` has the same major version as `own` and a higher minor version. */
function isNewerMinor(v: string, own: string): boolean {
  const [maj, min] = v.split('.').map(Number);
  const [ownMaj, ownMin] = own.split('.').map(Number);
  return maj === ownMaj && min !== undefined && ownMin !== undefined && min > ownMin;
}
