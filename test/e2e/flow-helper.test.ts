/**
 * The probe's flow and the helper end to end through the built CLI in the lab: bogon answers never
 * dialled, cookies kept across redirects (the cookie-redirect-loop case), Refresh and meta refresh
 * followed by probe and helper, HTTP/3 in Alt-Svc recorded as untested, the helper forwarding the
 * client's request headers and reporting per-hop fetch figures, a site that drops every SYN for
 * everyone answered by the helper within the default control timeout (down, not inconclusive), and
 * the resolver identity (ISP resolver vs a public one).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, probeCommand, startHelper, startLab, type Lab } from '../../src/lab/index.js';
import type { ReportRecord } from '../../src/model/index.js';
import { validateRecord } from '../../src/report/schema.js';
import { sharedAsnDatabase } from '../../src/runner/asn-db.js';
import { CLI, ROOT } from './cli-path.js';

const CASES = path.join(ROOT, 'fixtures', 'cases');

/** Waits until `addr:80` listens in the world namespace. */
async function waitListening(lab: Lab, addr: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const r = await lab.execInWorld(['ss', '-Htln'], { timeoutMs: 3000 });
    if (r.stdout.includes(`${addr}:80 `)) return;
    await new Promise((r2) => setTimeout(r2, 100));
  }
  throw new Error(`nothing listens on ${addr}:80`);
}

interface Run {
  record: ReportRecord;
  stderr: string;
  code: number | null;
}

/**
 * Runs the case `name` (fixtures/cases/NAME.json): lab, optional `setup` in the world (servers,
 * addresses, rules), the lab helper, then `censorprobe run` in the probe namespace.
 */
async function runCase(name: string, opts: { setup?: (lab: Lab) => Promise<void>; extra?: string[]; after?: (lab: Lab) => Promise<void> } = {}): Promise<Run> {
  const scenario = loadScenario(path.join(CASES, `${name}.json`));
  const lab = await startLab(scenario);
  try {
    await opts.setup?.(lab);
    await startHelper(lab, CLI, 20_000);
    const res = await lab.execInProbe(probeCommand(lab, scenario, CLI, opts.extra ?? []), { timeoutMs: 120_000 });
    const line = res.stdout.split('\n').find((l) => l.trim() !== '');
    expect(line, `no report line; exit ${res.code}; stderr: ${res.stderr}`).toBeDefined();
    const record = JSON.parse(line as string) as ReportRecord;
    expect(validateRecord(record)).toEqual({ ok: true });
    await opts.after?.(lab);
    return { record, stderr: res.stderr, code: res.code };
  } finally {
    await lab.stop();
  }
}

/** Starts a node server script of fixtures/cases in the world on `addr` (added to lo first). */
async function serve(lab: Lab, script: string, addr: string): Promise<void> {
  await lab.execInWorld(['ip', 'addr', 'add', `${addr}/32`, 'dev', 'lo'], { timeoutMs: 5000 });
  const child = lab.spawnInWorld([process.execPath, path.join(CASES, script), addr]);
  child.stdout?.resume();
  child.stderr?.resume();
  await waitListening(lab, addr);
}

describe('flow and helper in the lab', () => {
  it('bogon answers (127.0.0.1, 0.0.0.0, a private address) are never dialled; the genuine address is measured', async () => {
    const { record, code } = await runCase('bogon-answers-not-dialled');
    expect(code).toBe(0);
    const o = record.observations;
    expect(new Set(o.x_not_dialled?.map((n) => `${n.ip}:${n.port}:${n.depth}:${n.reason}`))).toEqual(
      new Set(['127.0.0.1:80:0:bogon', '0.0.0.0:80:0:bogon', '10.10.34.35:80:0:bogon']),
    );
    expect(o.tcp_connect.map((t) => t.ip)).toEqual(['93.184.216.34']);
    expect(o.requests).toHaveLength(1);
    expect(o.requests[0]?.address).toBe('93.184.216.34:80');
    expect(o.requests[0]?.response?.code).toBe(200);
    // The system resolver is the lab ISP's: its identity is recorded, and it is not a public one.
    const id = record.resolver_identity;
    expect(id?.kind).toBe('system');
    expect(id?.configured).toEqual(['130.192.3.21']);
    expect(id?.egress.failure).toBeNull();
    expect(id?.egress.asn).toBe(sharedAsnDatabase().lookup('130.192.3.21'));
    expect(id?.egress.ip).toBeNull(); // not a public operator's address: withheld
    expect(id?.public_resolver).toBeNull();
  }, 180_000);

  it('the cookie-redirect-loop case: probe and helper keep the cookie, null / true / ok', async () => {
    const { record } = await runCase('cookie-redirect-loop', { setup: (lab) => serve(lab, 'cookie-redirect-loop.server.js', '45.33.10.22') });
    expect({ blocking: record.verdict.blocking, accessible: record.verdict.accessible, status: record.verdict.status }).toEqual({ blocking: null, accessible: true, status: 'ok' });
    const codes = [...record.observations.requests].reverse().map((r) => r.response?.code);
    expect(codes).toEqual([302, 200]);
    expect(record.observations.requests[0]?.request.headers['Cookie']).toBe('seen=1');
    const hops = record.control.response?.x_censorprobe?.hops ?? [];
    expect(hops.map((h) => h.http_request?.status_code)).toEqual([302, 200]);
    expect(record.control.response?.http_request.status_code).toBe(200);
  }, 180_000);

  it('a cookie interstitial (200, Set-Cookie, meta refresh to the same URL) is reloaded with the cookie by probe and helper; a blockpage on that reload is http-diff (confirmed: the lab blockpage is fingerprinted)', async () => {
    const { record } = await runCase('cookie-meta-refresh-blocked', { setup: (lab) => serve(lab, 'cookie-meta-refresh.server.js', '45.33.10.22') });
    expect({ blocking: record.verdict.blocking, accessible: record.verdict.accessible, status: record.verdict.status }).toEqual({ blocking: 'http-diff', accessible: false, status: 'confirmed' });
    expect(record.verdict.evidence).toContainEqual(expect.objectContaining({ kind: 'http_blockpage', effect: 'confirmed', hop: 1 }));
    expect(record.observations.x_redirects?.map((r) => [r.depth, r.kind, r.to])).toEqual([[0, 'meta_refresh', 'http://news.example.ir/']]);
    expect(record.observations.requests[0]?.request.headers['Cookie']).toBe('seen=1');
    const hops = record.control.response?.x_censorprobe?.hops ?? [];
    expect(hops.map((h) => h.http_request?.title)).toEqual(['Checking your browser', 'Iran news']);
  }, 180_000);

  it('Refresh header and meta refresh are redirects for probe and helper; Alt-Svc h3 is untested; the helper forwards headers and reports per-hop figures', async () => {
    let forwarded = '';
    const { record, stderr } = await runCase('refresh-altsvc', {
      setup: (lab) => serve(lab, 'refresh-altsvc.server.js', '45.33.10.24'),
      extra: ['--resolver', 'udp://8.8.8.8'],
      after: async (lab) => {
        // A client that asks the helper for another language gets the page in it: the helper
        // forwards http_request_headers to the origin.
        const body = JSON.stringify({ http_request: 'http://www.refresh-example.net/', http_request_headers: { 'Accept-Language': ['fa-IR'], Connection: ['close'] }, tcp_connect: [] });
        const r = await lab.execInProbe(['curl', '-sS', '--max-time', '60', '-H', 'content-type: application/json', '--data-binary', body, `http://${lab.helperAddress}/`], { timeoutMs: 70_000 });
        forwarded = r.stdout;
      },
    });
    const o = record.observations;
    expect(o.x_redirects?.map((r) => [r.depth, r.kind])).toEqual([
      [0, 'meta_refresh'],
      [1, 'refresh_header'],
    ]);
    expect(o.requests[0]?.response?.title).toBe('Final en-US,en;q=0.9');
    expect(o.x_untested_variants).toEqual([{ variant: 'http3', depth: 0, url: 'http://www.refresh-example.net/', source: 'alt-svc', advertised: 'h3=":443"; ma=86400' }]);
    const hops = record.control.response?.x_censorprobe?.hops ?? [];
    expect(hops.map((h) => h.url)).toEqual(['http://www.refresh-example.net/', 'http://www.refresh-example.net/next', 'http://www.refresh-example.net/final']);
    for (const h of hops) {
      expect(h.http_request?.duration_ms).toBeGreaterThanOrEqual(0);
      expect(h.http_request?.body_bytes).toBe(h.http_request?.body_length);
    }
    expect(record.verdict.accessible).toBe(true);
    const answer = JSON.parse(forwarded) as { http_request: { title: string } };
    expect(answer.http_request.title).toBe('Final fa-IR');
    // --resolver udp://8.8.8.8: a public resolver; the ISP's resolver was not measured.
    expect(record.resolver_identity).toMatchObject({ kind: 'udp', configured: ['8.8.8.8'], public_resolver: 'Google Public DNS', egress: { ip: '8.8.8.8', failure: null } });
    // The console summary tells how to measure the ISP's resolver.
    expect(stderr).toContain('--resolver udp://');
  }, 180_000);

  it('a site that drops every SYN for everyone is down, not inconclusive, with the default control timeout', async () => {
    const { record } = await runCase('syn-dropped-for-everyone', {
      setup: async (lab) => {
        // Nobody reaches 45.33.10.23: its SYNs are dropped in the world (helper) and on the way in (probe).
        await lab.execInWorld(['ip', 'addr', 'add', '45.33.10.23/32', 'dev', 'lo'], { timeoutMs: 5000 });
        const rules = 'add table inet casedead\nadd chain inet casedead in { type filter hook input priority -10; }\nadd chain inet casedead out { type filter hook output priority -10; }\nadd rule inet casedead in ip daddr 45.33.10.23 drop\nadd rule inet casedead out ip daddr 45.33.10.23 drop\n';
        const r = await lab.execInWorld(['nft', '-f', '-'], { timeoutMs: 5000, input: rules });
        expect(r.code, r.stderr).toBe(0);
      },
    });
    expect(record.options.control_timeout_ms).toBe(60_000);
    expect(record.control.failure).toBeNull();
    const tcp = Object.values(record.control.response?.tcp_connect ?? {});
    expect(tcp.length).toBeGreaterThan(0);
    expect(tcp.every((t) => !t.status)).toBe(true);
    expect(record.observations.tcp_connect.every((t) => t.status.failure === 'generic_timeout_error')).toBe(true);
    expect(record.verdict.status).toBe('down');
  }, 180_000);

  it('one control request per target, and a helper answer of Go nulls is a control failure, not an internal error', async () => {
    const scenario = loadScenario('successWithHTTP');
    const lab = await startLab(scenario);
    try {
      let posts = '';
      const fake = lab.spawnInWorld([process.execPath, path.join(CASES, 'go-null-helper.server.js'), lab.helperAddress]);
      fake.stdout?.on('data', (d: Buffer) => (posts += d.toString('utf8')));
      fake.stderr?.resume();
      await waitListening(lab, lab.helperAddress);
      // The second target is NXDOMAIN: its flow never reports depth-0 addresses.
      const res = await lab.execInProbe(probeCommand(lab, scenario, CLI, ['http://nxdomain.example.org/', '--no-baselines']), { timeoutMs: 120_000 });
      expect(res.code, res.stderr).toBe(0);
      const records = res.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ReportRecord);
      expect(records.map((r) => r.input).sort()).toEqual(['http://nxdomain.example.org/', 'http://www.example.com/']);
      for (const r of records) {
        expect(validateRecord(r)).toEqual({ ok: true });
        expect(r.control.source).toBe('helper');
        expect(r.control.response).toBeNull();
        expect(r.control.failure).toBe('unknown_failure: helper answer has no dns and no http_request result');
      }
      const lines = posts.trim().split('\n').sort();
      // Exactly one request per target: with the probe's endpoints for the site, none for NXDOMAIN.
      expect(lines).toEqual(['POST 0', 'POST 2']);
    } finally {
      await lab.stop();
    }
  }, 180_000);
});
