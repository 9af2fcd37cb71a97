/**
 * The field cases (fixtures/cases/README.md) through the CLI, as users run them: lab scenarios with
 * `censorprobe lab run FILE --json`, OONI measurements with `censorprobe analyze --from-ooni FILE
 * --json`, and an old report with `censorprobe analyze --reclassify --json`. Each asserts the right
 * verdict and the typed evidence behind it (kinds and effects), never the wording.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReportRecord, Verdict, VerdictEvidence } from '../../src/model/index.js';
import { loadScenario } from '../../src/lab/index.js';
import { validateRecord } from '../../src/report/schema.js';
import { CLI, ROOT } from './cli-path.js';

const CASES = path.join(ROOT, 'fixtures', 'cases');

function cli(args: string[], timeoutMs = 240_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

type Triple = [Verdict['blocking'], Verdict['accessible'], Verdict['status']];
/** An evidence entry the verdict must hold: kind and effect, optionally the hop and the layer. */
type Want = Pick<VerdictEvidence, 'kind' | 'effect'> & Partial<Pick<VerdictEvidence, 'hop' | 'layer'>>;

function checkVerdict(record: ReportRecord, triple: Triple, wants: Want[], layers?: string[]): void {
  // The verdict (and its evidence) always validates; some hand-written OONI inputs omit helper fields.
  const result = validateRecord(record);
  const errors = result.ok ? [] : result.errors;
  expect(errors.filter((e) => e.startsWith('/verdict'))).toEqual([]);
  const v = record.verdict;
  expect([v.blocking, v.accessible, v.status], v.reasons.join('\n')).toEqual(triple);
  if (layers !== undefined) expect(v.layers).toEqual(layers);
  const evidence = v.evidence ?? [];
  if (v.status !== 'ok') expect(evidence.length).toBeGreaterThan(0);
  expect(v.reasons.length).toBe(evidence.length);
  for (const w of wants) expect(evidence, `${w.kind} in ${JSON.stringify(evidence.map((e) => [e.kind, e.effect]))}`).toContainEqual(expect.objectContaining(w));
}

/** Lab cases: the scenario file's expected OONI keys and verdict, plus the evidence named here. */
const LAB: Record<string, { wants: Want[]; layers?: string[] }> = {
  'redirect-then-nxdomain': { wants: [{ kind: 'dns_lookup_failed', effect: 'diverged', hop: 1 }] },
  'dead-address-same-asn': { wants: [{ kind: 'dns_same_network', effect: 'note' }, { kind: 'tcp_both_failed', effect: 'down', hop: 0 }] },
  'dead-address-other-asn-http': { wants: [{ kind: 'dns_other_network', effect: 'note' }, { kind: 'tcp_both_failed', effect: 'down' }] },
  'bogon-mixed-with-real': { wants: [{ kind: 'dns_bogon_answer', effect: 'diverged' }], layers: ['dns'] },
  'bogon-v6-loopback-with-real': { wants: [{ kind: 'dns_bogon_answer', effect: 'diverged' }], layers: ['dns'] },
  'bogon-published-by-site': { wants: [], layers: [] },
  'bogon-published-by-site-real-swapped': { wants: [{ kind: 'dns_other_network', effect: 'diverged' }] },
  'bogon-added-beside-site-private': { wants: [{ kind: 'dns_bogon_answer', effect: 'diverged' }], layers: ['dns'] },
  // Today the flow dials the bogon too; once it records it in x_not_dialled the verdict is the same.
  'bogon-mixed-genuine-dropped': { wants: [{ kind: 'dns_bogon_answer', effect: 'diverged' }, { kind: 'tcp_connect_failed', effect: 'diverged' }], layers: ['dns', 'tcp_ip'] },
  'forged-certificate-after-dns': { wants: [{ kind: 'dns_other_network', effect: 'diverged' }, { kind: 'tls_forged_certificate', effect: 'confirmed' }], layers: ['dns', 'tls'] },
  'udp-resolver-unreachable': { wants: [{ kind: 'dns_resolver_unreachable', effect: 'inconclusive' }], layers: [] },
  'redirect-then-udp-dropped': { wants: [{ kind: 'dns_lookup_failed', effect: 'diverged', hop: 1 }], layers: ['dns'] },
  'udp-resolver-drops-one-name': { wants: [{ kind: 'dns_lookup_failed', effect: 'diverged', hop: 0 }], layers: ['dns'] },
  'dead-ipv4-local-ipv6': { wants: [{ kind: 'tcp_both_failed', effect: 'down', hop: 0 }], layers: [] },
};

describe.concurrent('field cases in the lab (censorprobe lab run FILE)', () => {
  for (const [name, want] of Object.entries(LAB)) {
    it(`${name}: the right OONI keys, verdict and evidence`, async () => {
      const file = path.join(CASES, `${name}.json`);
      const scenario = loadScenario(file);
      const r = await cli(['lab', 'run', file, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const record = JSON.parse(r.stdout.trim().split('\n')[0] ?? '{}') as ReportRecord;
      const ooni = record.ooni as unknown as Record<string, unknown>;
      expect(validateRecord(record)).toEqual({ ok: true });
      for (const [k, v] of Object.entries(scenario.expected.ooni)) expect([k, ooni[k]]).toEqual([k, v]);
      const e = scenario.expected.verdict;
      checkVerdict(record, [e.blocking, e.accessible, e.status], want.wants, want.layers);
    }, 300_000);
  }
});

/** OONI-format cases: file, extra fingerprint file, the right verdict and evidence. */
const OONI: Array<{ file: string; fingerprints?: string; triple: Triple; wants: Want[]; layers?: string[] }> = [
  { file: 'geodns-http-verified-elsewhere', triple: [null, true, 'ok'], wants: [{ kind: 'dns_helper_tls_verified', effect: 'genuine' }] },
  { file: 'geodns-http-own-handshake-verified', triple: [null, true, 'ok'], wants: [{ kind: 'dns_tls_verified', effect: 'genuine' }] },
  { file: 'geodns-input-in-capitals', triple: [null, true, 'ok'], wants: [{ kind: 'dns_tls_verified', effect: 'genuine' }] },
  { file: 'geodns-ipv6-expanded-key', triple: [null, true, 'ok'], wants: [{ kind: 'dns_helper_tls_verified', effect: 'genuine' }] },
  { file: 'redirect-to-government-blockpage', triple: ['http-diff', false, 'anomaly'], wants: [{ kind: 'http_diff', effect: 'diverged', hop: 1 }] },
  { file: 'redirect-to-government-blockpage', fingerprints: 'blocked-gov.fingerprints.jsonl', triple: ['http-diff', false, 'confirmed'], wants: [{ kind: 'http_blockpage', effect: 'confirmed', hop: 0 }] },
  { file: 'redirect-to-government-blockpage-upper', triple: ['http-diff', false, 'anomaly'], wants: [{ kind: 'http_diff', effect: 'diverged' }] },
  { file: 'redirect-to-government-blockpage-upper', fingerprints: 'blocked-gov.fingerprints.jsonl', triple: ['http-diff', false, 'confirmed'], wants: [{ kind: 'http_blockpage', effect: 'confirmed', hop: 0 }] },
  { file: 'redirect-to-government-blockpage-protocol-relative', fingerprints: 'blocked-gov.fingerprints.jsonl', triple: ['http-diff', false, 'confirmed'], wants: [{ kind: 'http_blockpage', effect: 'confirmed', hop: 0 }] },
  { file: 'redirect-to-government-blockpage-trailing-dot', fingerprints: 'blocked-gov.fingerprints.jsonl', triple: ['http-diff', false, 'confirmed'], wants: [{ kind: 'http_blockpage', effect: 'confirmed', hop: 0 }] },
  { file: 'redirect-to-https-blockpage-verified', triple: ['http-diff', false, 'anomaly'], wants: [{ kind: 'http_diff', effect: 'diverged', hop: 1 }] },
  { file: 'redirect-to-https-blockpage-verified', fingerprints: 'blocked-gov-body.fingerprints.jsonl', triple: ['http-diff', false, 'confirmed'], wants: [{ kind: 'http_blockpage', effect: 'confirmed', hop: 1 }] },
  { file: 'redirect-to-https-blockpage-control-failed', triple: [null, null, 'inconclusive'], wants: [{ kind: 'control_nothing_to_compare', effect: 'inconclusive' }] },
  { file: 'https-site-redirects-to-own-other-domain', triple: [null, true, 'ok'], wants: [{ kind: 'http_verified_tls', effect: 'genuine', hop: 1 }] },
  { file: 'redirect-to-https-blockpage-mk', triple: ['http-diff', false, 'anomaly'], wants: [{ kind: 'http_diff', effect: 'diverged', hop: 1 }] },
  { file: 'refresh-header-unbalanced-quote', triple: ['http-diff', false, 'anomaly'], wants: [{ kind: 'http_unexpected_redirect', effect: 'diverged', hop: 0 }] },
  { file: 'meta-refresh-in-comment', triple: [null, true, 'ok'], wants: [{ kind: 'http_matches_control', effect: 'genuine', hop: 0 }] },
  { file: 'meta-refresh-empty-then-blockpage', triple: ['http-diff', false, 'anomaly'], wants: [{ kind: 'http_unexpected_redirect', effect: 'diverged', hop: 0 }] },
  { file: 'self-refresh-input-without-slash', triple: [null, true, 'ok'], wants: [{ kind: 'http_matches_control', effect: 'genuine', hop: 0 }] },
  { file: 'redirect-then-nxdomain-python', triple: ['dns', false, 'anomaly'], wants: [{ kind: 'dns_lookup_failed', effect: 'diverged', hop: 1 }], layers: ['dns'] },
  { file: 'redirect-then-nxdomain-go04', triple: ['dns', false, 'anomaly'], wants: [{ kind: 'dns_lookup_failed', effect: 'diverged', hop: 1 }], layers: ['dns'] },
  { file: 'meta-refresh-to-blockpage', triple: ['http-diff', false, 'anomaly'], wants: [{ kind: 'http_unexpected_redirect', effect: 'diverged', hop: 0 }] },
  { file: 'refresh-header-to-blockpage', triple: ['http-diff', false, 'anomaly'], wants: [{ kind: 'http_unexpected_redirect', effect: 'diverged', hop: 0 }] },
  { file: 'server-error-both', triple: [null, false, 'down'], wants: [{ kind: 'http_server_error_both', effect: 'down' }] },
  { file: 'fingerprint-on-control-page', fingerprints: 'control-page.fingerprints.jsonl', triple: [null, true, 'ok'], wants: [{ kind: 'http_fingerprint_same_as_control', effect: 'note' }, { kind: 'http_matches_control', effect: 'genuine' }] },
  { file: 'blockpage-beats-false-positive', fingerprints: 'blockpage-and-false-positive.fingerprints.jsonl', triple: ['http-diff', false, 'confirmed'], wants: [{ kind: 'http_blockpage', effect: 'confirmed' }] },
  { file: 'ipv4-blocked-ipv6-works', triple: ['tcp_ip', true, 'anomaly'], wants: [{ kind: 'tcp_family_blocked', effect: 'diverged', layer: 'tcp_ip' }], layers: ['tcp_ip'] },
  { file: 'dead-ipv4-local-ipv6', triple: [null, false, 'down'], wants: [{ kind: 'tcp_both_failed', effect: 'down' }], layers: [] },
  { file: 'legacy-dns-lookup-error-both', triple: [null, false, 'down'], wants: [{ kind: 'dns_both_failed', effect: 'down' }], layers: [] },
  { file: 'python-final-request-lost', triple: [null, null, 'inconclusive'], wants: [{ kind: 'http_chain_incomplete', effect: 'inconclusive' }], layers: [] },
  { file: 'verified-https-control-no-address', triple: [null, true, 'ok'], wants: [{ kind: 'dns_tls_verified', effect: 'genuine' }, { kind: 'http_verified_tls', effect: 'genuine' }], layers: [] },
  { file: 'verified-https-answer-lost', triple: [null, true, 'ok'], wants: [{ kind: 'http_verified_tls', effect: 'genuine' }], layers: [] },
];

describe('field cases from OONI measurements (censorprobe analyze --from-ooni FILE --json)', () => {
  for (const c of OONI) {
    it(`${c.file}${c.fingerprints ? ` with ${c.fingerprints}` : ''}: ${JSON.stringify(c.triple)}`, async () => {
      const args = ['analyze', '--from-ooni', path.join(CASES, `${c.file}.ooni.json`), '--json'];
      if (c.fingerprints) args.push('--fingerprints', path.join(CASES, c.fingerprints));
      const r = await cli(args);
      expect(r.code, r.stderr).toBe(0);
      const record = JSON.parse(r.stdout.trim().split('\n')[0] ?? '{}') as ReportRecord;
      checkVerdict(record, c.triple, c.wants, c.layers);
      if (c.fingerprints && c.triple[2] === 'confirmed') expect(record.verdict.fingerprints?.length).toBe(1);
    });
  }
});

describe('an old report re-classified (censorprobe analyze --reclassify --json)', () => {
  it('compares the DoH reference as a control: a forged answer is dns; an answer the reference shares is not', async () => {
    const r = await cli(['analyze', '--reclassify', '--json', path.join(CASES, 'doh-reference-forged-answer.report.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const changed = lines.filter((l) => l['kind'] === 'changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ where: 'fixtures/cases/doh-reference-forged-answer.report.jsonl:1', before: { blocking: null, status: 'inconclusive' }, after: { blocking: 'dns', accessible: false, status: 'anomaly' } });
    expect(changed[0]?.['evidence']).toContainEqual(expect.objectContaining({ kind: 'dns_other_network', effect: 'diverged', cites: expect.arrayContaining([{ list: 'control', key: 'dns_reference' }]) }));
    expect(lines.at(-1)).toMatchObject({ kind: 'summary', measurements: 2, changed: 1 });
  });
});
