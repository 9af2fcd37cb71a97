/**
 * `censorprobe report` end to end: reports made by the lab (a censor resetting TLS on the SNI, and a
 * clean HTTPS site) plus one hostile line (markup in the URL, reasons and failure strings, and a
 * throttling test's transfers) become one HTML page; headless Chromium (Debian's `chromium`,
 * driven by playwright-core) opens it from disk with the network unused, and the test checks the
 * content, the table's sorting and filtering, that report strings stayed text, and that the
 * console is clean. The screenshot is kept in test-artifacts/ (gitignored).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './cli-path.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
let dir = '';
let page = '';
let context: BrowserContext | null = null;

const cli = (args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const XSS = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;

/** A hostile line: a lab line with markup in every string the page shows, and throttling transfers. */
function hostileLine(base: Record<string, unknown>): Record<string, unknown> {
  const transfer = (arm: string, trial: number, goodput: number | null): Record<string, unknown> => ({
    arm, trial, address: '93.184.216.34:443', sni: 'x', host: 'x', t_connect_ms: 10, t_tls_ms: 20, t_ttfb_ms: 30, bytes: 1e6, wire_bytes: null,
    duration_ms: 1000, goodput_bps: goodput, samples: [], max_gap_ms: 0, stall_after_bytes: null, completed: true, failure: null, failed_operation: null,
  });
  const verdict = base['verdict'] as Record<string, unknown>;
  return {
    ...base,
    input: `https://xss.example/?q="'${XSS}`,
    category_code: `NEWS${XSS}`,
    verdict: { ...verdict, blocking: 'throttling', status: 'anomaly', accessible: true, reasons: [`reason ${XSS}`], fingerprints: [`fp${XSS}`] },
    control: { ...(base['control'] as Record<string, unknown>), failure: `control ${XSS}` },
    observations: {
      ...(base['observations'] as Record<string, unknown>),
      x_untested_variants: [
        { variant: 'ech', depth: 0, url: 'https://xss.example/', source: 'https-rr', advertised: `ech ${XSS}` },
        { variant: `h9${XSS}`, depth: 0, url: 'https://xss.example/', source: 'alt-svc', advertised: 'h3=":443"' },
        { variant: 'ech', depth: 0, url: 'https://xss.example/', source: 'alt-svc', advertised: 'impossible' },
      ],
    },
    throttling: {
      screening: { transfer: null, suspicious: [] },
      escalation: {
        triggers: [], reference: 'same_address', reference_name: 'example.org', seed: 1, pairs: 3, order: [], max_bytes: 1e6, timeout_ms: 1e4,
        transfers: [transfer('target', 0, 150_000), transfer('reference', 0, 20_000_000), transfer('target', 1, 140_000), transfer('reference', 1, 19_000_000), transfer('target', 2, null), transfer('reference', 2, 21_000_000)],
        decision: { outcome: `severe${XSS}`, throttled: true, goodput_bps: { target: 150_000, reference: 20_000_000, control: null }, reasons: [] },
      },
    },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'censorprobe-page-'));
  for (const [scenario, file] of [['tlsBlockingConnectionResetWithConsistentDNS', 'tls.jsonl'], ['successWithHTTPS', 'ok.jsonl']] as const) {
    const r = cli(['lab', 'run', scenario, '-o', file]);
    if (r.code !== 0) throw new Error(`lab run ${scenario} failed (${r.code}): ${r.stderr}`);
  }
  const base = JSON.parse(readFileSync(path.join(dir, 'tls.jsonl'), 'utf8').split('\n')[0] as string) as Record<string, unknown>;
  writeFileSync(path.join(dir, 'hostile.jsonl'), `${JSON.stringify(hostileLine(base))}\n`);
  const r = cli(['report', 'tls.jsonl', 'ok.jsonl', 'hostile.jsonl', '-o', 'page.html']);
  if (r.code !== 0) throw new Error(`report failed (${r.code}): ${r.stderr}`);
  page = path.join(dir, 'page.html');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (npm test's pretest step does it as root)`);
  context = await chromium.launchPersistentContext(mkdtempSync(path.join(dir, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 240_000);

afterAll(async () => {
  await context?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('censorprobe report: the page in headless Chromium', () => {
  it('is one self-contained file: no external reference in the HTML', () => {
    const html = readFileSync(page, 'utf8');
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toContain(XSS);
  });

  it('shows the summary, network state, the targets with evidence, waterfalls and the rates chart; sorting and filtering work; strings stay text; no console errors', async () => {
    const tab = await context!.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    tab.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    tab.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    tab.on('request', (r) => requests.push(r.url()));
    await tab.goto(pathToFileURL(page).href);

    // Summary counts by verdict label.
    const cards = await tab.$$eval('#summary .card', (els) => els.map((e) => [e.getAttribute('data-label'), e.querySelector('b')?.textContent]));
    expect(Object.fromEntries(cards)).toEqual({ accessible: '1', tls: '1', throttling: '1' });
    expect(await tab.textContent('#network')).toContain('normal: 3');
    // The table: one row per measurement, verdict, category, evidence.
    const rows = tab.locator('#targets tbody tr');
    expect(await rows.count()).toBe(3);
    const labels = await tab.$$eval('#targets tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-label')));
    expect(labels.sort()).toEqual(['accessible', 'throttling', 'tls']);
    // A waterfall (probe steps + the control's bar) for every measurement, failed steps marked.
    expect(await tab.locator('svg.wf').count()).toBe(3);
    const tlsRow = tab.locator('#targets tbody tr[data-label="tls"]');
    expect(await tlsRow.locator('svg.wf rect').count()).toBeGreaterThanOrEqual(4);
    expect(await tlsRow.locator('svg.wf rect.failed').count()).toBeGreaterThanOrEqual(1);
    expect(await tlsRow.locator('svg.wf text.ctl').count()).toBe(1);
    // The throttling rates chart: 2 target bars (one transfer had no rate) and 3 reference bars.
    const hostile = tab.locator('#targets tbody tr[data-label="throttling"]');
    expect(await hostile.locator('svg.rates rect.target').count()).toBe(2);
    expect(await hostile.locator('svg.rates rect.reference').count()).toBe(3);
    // Report strings are text: the markup is shown, never run or parsed.
    expect(await hostile.locator('summary').textContent()).toContain(XSS);
    // Untested variants: known names and sources only, the hostile and the impossible ones dropped.
    expect(await hostile.locator('p.untested').textContent()).toBe('Advertised (by the site or a host it redirected to) and not tested here: ECH (https-rr) (observations.x_untested_variants).');
    expect(await tlsRow.locator('p.untested').count()).toBe(0);
    expect(await tab.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await tab.locator('img').count()).toBe(0);
    expect(await tab.locator('script').count()).toBe(1);

    // Filtering: by text and by verdict.
    await tab.fill('#filter', 'xss.example');
    expect(await tab.textContent('#shown')).toBe('1');
    expect(await tab.locator('#targets tbody tr:not([hidden])').getAttribute('data-label')).toBe('throttling');
    await tab.fill('#filter', '');
    await tab.selectOption('#verdict', 'tls');
    expect(await tab.textContent('#shown')).toBe('1');
    await tab.selectOption('#verdict', '');
    expect(await tab.textContent('#shown')).toBe('3');
    // Sorting: by verdict, ascending then descending.
    const verdictHeader = tab.locator('#targets thead th').nth(1);
    await verdictHeader.click();
    expect(await verdictHeader.getAttribute('aria-sort')).toBe('ascending');
    const asc = await tab.$$eval('#targets tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-label')));
    expect(asc).toEqual(['accessible', 'throttling', 'tls']);
    await verdictHeader.click();
    expect(await tab.$$eval('#targets tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-label')))).toEqual(['tls', 'throttling', 'accessible']);

    await tab.locator('#targets tbody tr[data-label="tls"] summary').click();
    mkdirSync(ARTIFACTS, { recursive: true });
    await tab.screenshot({ path: path.join(ARTIFACTS, 'report-page.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    await tab.close();
  });
});
