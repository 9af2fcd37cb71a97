/**
 * The helper-answer boundary (src/control/th-answer.ts): Go nulls normalised in one place, ajv
 * validation, and a property test: whatever JSON a helper sends, parsing never throws and either
 * fails with a one-line control failure or yields an answer the classifier can read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseThAnswer } from '../../../src/control/th-answer.js';
import { parseThResponse } from '../../../src/control/th-client.js';

const GOOD = {
  tcp_connect: { '93.184.216.34:443': { status: true, failure: null } },
  tls_handshake: { '93.184.216.34:443': { server_name: 'www.example.com', status: true, failure: null } },
  quic_handshake: {},
  http_request: { body_length: 1533, discovered_h3_endpoint: '', failure: null, title: 'Default', headers: { 'Content-Type': 'text/html' }, status_code: 200 },
  http3_request: null,
  dns: { failure: null, addrs: ['93.184.216.34'] },
  ip_info: { '93.184.216.34': { asn: 15133, flags: 11 } },
};

/** Invariants the classifier relies on. */
function readable(r: ReturnType<typeof parseThAnswer>): boolean {
  if (!r.ok) return typeof r.failure === 'string' && r.failure.startsWith('unknown_failure: ') && !/[\r\n]/.test(r.failure);
  const a = r.response;
  return (
    typeof a.tcp_connect === 'object' && a.tcp_connect !== null &&
    Array.isArray(a.dns.addrs) && typeof a.http_request.status_code === 'number' &&
    typeof a.http_request.headers === 'object' && a.http_request.headers !== null &&
    (a.tls_handshake === undefined || (typeof a.tls_handshake === 'object' && a.tls_handshake !== null)) &&
    (a.ip_info === undefined || (typeof a.ip_info === 'object' && a.ip_info !== null))
  );
}

describe('parseThAnswer', () => {
  it('accepts an OONI helper answer', () => {
    expect(parseThAnswer(JSON.stringify(GOOD))).toEqual({ ok: true, response: GOOD });
  });
  it('an answer that measured nothing (Go nils everywhere) is a control failure, not an exception', () => {
    const r = parseThAnswer('{"dns":null,"http_request":null,"tcp_connect":null}');
    expect(r).toEqual({ ok: false, failure: 'unknown_failure: helper answer has no dns and no http_request result' });
    expect(parseThResponse('{"dns":null,"http_request":null,"tcp_connect":null}')).toBeNull();
  });
  it('normalises Go nil maps and slices', () => {
    const r = parseThAnswer(JSON.stringify({ ...GOOD, tcp_connect: null, tls_handshake: null, ip_info: null, quic_handshake: null, dns: { failure: 'dns_name_error', addrs: null }, http_request: { ...GOOD.http_request, headers: null } }));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.response.tcp_connect).toEqual({});
      expect(r.response.tls_handshake).toEqual({});
      expect(r.response.ip_info).toEqual({});
      expect(r.response.dns.addrs).toEqual([]);
      expect(r.response.http_request.headers).toEqual({});
    }
  });
  it('rejects wrong shapes with the path of the problem', () => {
    expect(parseThAnswer('not json')).toEqual({ ok: false, failure: 'unknown_failure: helper answered invalid JSON' });
    const r = parseThAnswer(JSON.stringify({ ...GOOD, dns: { failure: null, addrs: [1] } }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure).toMatch(/^unknown_failure: invalid helper answer: dns\.addrs\.0 /);
    expect(parseThAnswer(JSON.stringify({ ...GOOD, http_request: null })).ok).toBe(false);
    expect(parseThAnswer('[]').ok).toBe(false);
    expect(parseThAnswer('null').ok).toBe(false);
  });
  it('property: any JSON value is parsed without throwing into a failure or a readable answer', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => readable(parseThAnswer(JSON.stringify(v)))), { numRuns: 500 });
  });
  it('property: a valid answer with any of its maps nulled (Go nils) still parses', () => {
    const keys = ['tcp_connect', 'tls_handshake', 'quic_handshake', 'ip_info'] as const;
    fc.assert(
      fc.property(fc.subarray([...keys]), fc.boolean(), fc.boolean(), (nulled, nullAddrs, nullHeaders) => {
        const a: Record<string, unknown> = structuredClone(GOOD);
        for (const k of nulled) a[k] = null;
        if (nullAddrs) (a['dns'] as Record<string, unknown>)['addrs'] = null;
        if (nullHeaders) (a['http_request'] as Record<string, unknown>)['headers'] = null;
        const r = parseThAnswer(JSON.stringify(a));
        return r.ok && readable(r);
      }),
    );
  });
  it('property: mutating one field of a valid answer into another JSON value never throws', () => {
    const paths = [['dns'], ['dns', 'addrs'], ['http_request'], ['http_request', 'status_code'], ['http_request', 'headers'], ['tcp_connect'], ['ip_info'], ['x_censorprobe']];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, value) => {
        const a: Record<string, unknown> = structuredClone(GOOD);
        let o = a;
        for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
        o[path[path.length - 1] as string] = value;
        return readable(parseThAnswer(JSON.stringify(a)));
      }),
      { numRuns: 500 },
    );
  });
});
