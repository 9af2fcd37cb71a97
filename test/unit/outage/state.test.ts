import { describe, expect, it } from 'vitest';
import { applyVantage, decideVantage } from '../../../src/outage/index.js';
import type { BaselineResult, ReportRecord, VantageRecord } from '../../../src/model/index.js';

const r = (check: string, scope: BaselineResult['scope'], ok: boolean, duration_ms = 30): BaselineResult => ({ check, scope, ok, failure: ok ? null : 'generic_timeout_error', duration_ms });
const intl = (okCount: number, total: number): BaselineResult[] => Array.from({ length: total }, (_, i) => r(`tcp://192.0.2.${i}:443`, 'international', i < okCount));

describe('the vantage state from one round of baseline checks', () => {
  it('every check failing is "local network offline"', () => {
    const v = decideVantage([...intl(0, 6), r('system-dns:x', 'local', false)]);
    expect(v.state).toBe('local_offline');
    expect(v.reason).toMatch(/every baseline check failed \(7 of 7/);
  });
  it('international checks failing (>= 90 %) while the local resolver or a domestic site answers is an international cut', () => {
    expect(decideVantage([...intl(0, 6), r('system-dns:x', 'local', true)]).state).toBe('international_cut');
    expect(decideVantage([...intl(0, 6), r('domestic:http://bank.example/', 'domestic', true), r('system-dns:x', 'local', false)]).state).toBe('international_cut');
  });
  it('some international checks answering while most fail is "only an allow-list reachable"', () => {
    expect(decideVantage([...intl(2, 6), r('system-dns:x', 'local', true)]).state).toBe('allowlist_only');
  });
  it('a quarter failing, or slow successes, is general degradation; all fine is normal', () => {
    expect(decideVantage([...intl(6, 8), r('system-dns:x', 'local', true)]).state).toBe('general_degradation');
    expect(decideVantage([...intl(8, 8).map((x) => ({ ...x, duration_ms: 2500 })), r('system-dns:x', 'local', true, 2500)]).state).toBe('general_degradation');
    expect(decideVantage([...intl(7, 8), r('system-dns:x', 'local', true)]).state).toBe('normal');
    expect(decideVantage([]).state).toBe('normal');
  });
  it('without any working local or domestic check, failing international checks alone are not a cut', () => {
    // No local/domestic check configured: 6 of 7 international failing cannot be told from offline, so degradation.
    expect(decideVantage(intl(1, 7)).state).toBe('general_degradation');
  });
});

describe('the states a volunteer can act on', () => {
  const k = (check: string, kind: BaselineResult['kind'], ok: boolean, extra: Partial<BaselineResult> = {}): BaselineResult => ({
    check, scope: kind === 'system-dns' ? 'local' : 'international', ok, failure: ok ? null : 'generic_timeout_error', duration_ms: 30, kind, ...extra,
  });
  const healthy = (): BaselineResult[] => [
    k('tls://1.1.1.1:443/one.one.one.one', 'tls', true, { port: 443, resolver: true }),
    k('tls://8.8.8.8:443/dns.google', 'tls', true, { port: 443, resolver: true }),
    k('dns://8.8.8.8/a', 'dns', true, { port: 53, resolver: true }),
    k('http://connectivitycheck.gstatic.com/generate_204', 'http', true, { port: 80 }),
    k('http://captive.apple.com/hotspot-detect.html', 'http', true, { port: 80 }),
    k('https://captive.apple.com/hotspot-detect.html', 'http', true, { port: 443 }),
    k('system-dns:a', 'system-dns', true),
    k('system-dns:b', 'system-dns', true),
  ];
  const edit = (rs: BaselineResult[], f: (r: BaselineResult) => BaselineResult | null): BaselineResult[] => rs.map((r) => f(r) ?? r);
  it('healthy is normal', () => {
    expect(decideVantage(healthy()).state).toBe('normal');
  });
  it('an altered check page is a captive portal; so is a resolver answering local addresses', () => {
    expect(decideVantage(edit(healthy(), (r) => (r.kind === 'http' && r.port === 80 ? { ...r, ok: false, altered: true, failure: 'unknown_failure: unexpected answer' } : null))).state).toBe('captive_portal');
    expect(decideVantage(edit(healthy(), (r) => (r.kind === 'system-dns' ? { ...r, ok: false, altered: true, failure: 'dns_bogon_error' } : null))).state).toBe('captive_portal');
  });
  it('the system resolver failing while addresses work is DNS broken', () => {
    expect(decideVantage(edit(healthy(), (r) => (r.kind === 'system-dns' || r.kind === 'http' ? { ...r, ok: false, failure: 'dns_nxdomain_error', altered: r.kind === 'system-dns' } : null))).state).toBe('dns_broken');
  });
  it('every port-443 check failing while port 80 works is port 443 cut', () => {
    expect(decideVantage(edit(healthy(), (r) => (r.port === 443 ? { ...r, ok: false, failure: 'connection_refused' } : null))).state).toBe('port_443_cut');
  });
  it('public resolvers failing alone are not an outage (the control is what suffers)', () => {
    const v = decideVantage(edit(healthy(), (r) => (r.resolver === true ? { ...r, ok: false, failure: 'connection_refused' } : null)));
    expect(v.state).toBe('normal');
    expect(v.reason).toContain('public resolvers unreachable');
  });
  it('slow checks are degradation unless the probe\'s own event loop stalled', () => {
    const slow = edit(healthy(), (r) => ({ ...r, duration_ms: 2600 }));
    expect(decideVantage(slow).state).toBe('general_degradation');
    expect(decideVantage(slow, { loopDelayMs: 900 }).state).toBe('normal');
  });
  it('nothing genuine answering is offline, and says that something else answered', () => {
    const v = decideVantage(edit(healthy(), (r) => ({ ...r, ok: false, altered: true, failure: r.kind === 'tls' ? 'eof_error' : 'dns_nxdomain_error' })));
    expect(v.state).toBe('local_offline');
    expect(v.reason).toContain('something answered but not the real services');
  });
});

describe('rewriting verdicts when the vantage is not normal', () => {
  const round = { when: 'before' as const, time: '2026-11-30T00:00:00.000Z', state: 'local_offline' as const, reason: 'every baseline check failed (3 of 3)', results: [] };
  const vantage: VantageRecord = { state: 'local_offline', reason: round.reason, round };
  const rec = (verdict: ReportRecord['verdict']): ReportRecord => ({ verdict } as unknown as ReportRecord);
  it('turns a blocking verdict into inconclusive, naming the outage and the verdict it replaced', () => {
    const out = applyVantage(rec({ blocking: 'tcp_ip', accessible: false, status: 'anomaly', layers: ['tcp_ip'], reasons: ['connect timed out'] }), vantage);
    expect(out.verdict).toEqual({
      blocking: null, accessible: null, status: 'inconclusive', layers: [],
      reasons: ['local network offline: every baseline check failed (3 of 3); per-site verdicts are not meaningful (without the outage check: tcp_ip, anomaly)', 'connect timed out'],
    });
    expect(out.vantage).toBe(vantage);
  });
  it('keeps an accessible verdict (a success is still a success) and notes the outage', () => {
    const out = applyVantage(rec({ blocking: null, accessible: true, status: 'ok', layers: [], reasons: ['fetched'] }), vantage);
    expect(out.verdict.status).toBe('ok');
    expect(out.verdict.reasons[1]).toMatch(/^local network offline/);
  });
  it('only adds the vantage when the state is normal', () => {
    const normal: VantageRecord = { ...vantage, state: 'normal' };
    const v = { blocking: 'dns' as const, accessible: false, status: 'anomaly' as const, layers: ['dns' as const], reasons: [] };
    expect(applyVantage(rec(v), normal)).toEqual({ verdict: v, vantage: normal });
  });
});
