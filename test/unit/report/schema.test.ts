import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FAILURES, SCHEMA_VERSION } from '../../../src/model/index.js';
import { findPackageRoot, loadReportSchema, reportSchemaPath, validateRecord } from '../../../src/report/schema.js';
import { fullRecord } from './helpers/full-record.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

/** A mutable JSON view of the full record. */
const mutable = (): Record<string, any> => fullRecord() as unknown as Record<string, any>;

describe('validateRecord', () => {
  it('accepts a hand-built full ReportRecord', () => {
    expect(validateRecord(fullRecord())).toEqual({ ok: true });
  });

  it('accepts a record whose control is missing and whose fetch failed (nulls everywhere allowed)', () => {
    const record = mutable();
    record.control = { source: 'none', address: null, request: null, response: null, failure: 'generic_timeout_error', dns_reference: null, t0: null, t: null };
    record.observations.requests[0].response = null;
    record.observations.requests[0].failure = 'connection_reset';
    record.observations.tls_handshakes[0].peer_certificates = null;
    record.ooni.dns_consistency = null;
    record.ooni.blocking = null;
    record.verdict = { blocking: 'tls', accessible: false, status: 'inconclusive', layers: ['tls'], reasons: [] };
    expect(validateRecord(record)).toEqual({ ok: true });
  });

  it('rejects a record without a required top-level key with a readable error', () => {
    const record = mutable();
    delete record.verdict;
    expect(validateRecord(record)).toEqual({ ok: false, errors: ["/: must have required property 'verdict'"] });
  });

  it('rejects an unknown top-level key, naming it', () => {
    const record = mutable();
    record.probe_ip = '203.0.113.7';
    expect(validateRecord(record)).toEqual({ ok: false, errors: ["/: must NOT have additional property 'probe_ip'"] });
  });

  it('rejects unknown keys in ooni and verdict but accepts them inside observations', () => {
    const closed = mutable();
    closed.ooni.x_extra = 1;
    delete closed.verdict.status;
    expect(validateRecord(closed)).toEqual({
      ok: false,
      errors: ["/ooni: must NOT have additional property 'x_extra'", "/verdict: must have required property 'status'"],
    });
    const open = mutable();
    open.observations.queries[0].x_future_field = 'ok';
    open.control.response.x_other = true;
    expect(validateRecord(open)).toEqual({ ok: true });
  });

  it('rejects wrong values with their JSON pointer', () => {
    const record = mutable();
    record.schema_version = '2.0.0';
    record.verdict.status = 'blocked';
    record.observations.tcp_connect[0].status.failure = 'timeout';
    record.observations.tcp_connect[0].port = 70000;
    const result = validateRecord(record);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toContain('/schema_version: must match pattern "^1\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)$"');
      expect(result.errors).toContain('/verdict/status: must be equal to one of the allowed values: ["ok","anomaly","confirmed","down","inconclusive"]');
      expect(result.errors).toContain('/observations/tcp_connect/0/port: must be <= 65535');
      expect(result.errors.some((e) => e.startsWith('/observations/tcp_connect/0/status/failure: '))).toBe(true);
    }
  });

  it('rejects values that are not objects', () => {
    expect(validateRecord(null)).toEqual({ ok: false, errors: ['/: must be object'] });
    expect(validateRecord('{}').ok).toBe(false);
  });
});

describe('schema/report-line.schema.json', () => {
  const schema = loadReportSchema() as { $schema: string; $defs: { failure: { anyOf: { enum?: string[] }[] } }; properties: { schema_version: { pattern: string } } };

  it('is draft 2020-12 and accepts the current SCHEMA_VERSION', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(new RegExp(schema.properties.schema_version.pattern).test(SCHEMA_VERSION)).toBe(true);
  });

  it('lists exactly the failure vocabulary of src/model/failure.ts', () => {
    const enumBranch = schema.$defs.failure.anyOf.find((branch) => branch.enum !== undefined);
    expect(enumBranch?.enum).toEqual([...FAILURES]);
  });

  it('is found from src and from a dist-like directory by walking up to package.json', () => {
    expect(reportSchemaPath()).toBe(join(ROOT, 'schema', 'report-line.schema.json'));
    expect(findPackageRoot(join(ROOT, 'dist', 'src', 'report'))).toBe(ROOT);
    expect(JSON.parse(readFileSync(reportSchemaPath(), 'utf8'))).toEqual(schema);
  });
});
