/**
 * Recorded controls in the lab: `censorprobe control` records the lab helper's answers, then
 * `run --control-file` compares with them offline; on catalog scenarios (DNS, TCP, TLS, HTTP
 * blocking, a blockpage, a site down, a clean site) the verdicts equal the live helper's. A control
 * older than --control-max-age makes a DNS verdict inconclusive; the report keeps the control's age.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/lab/index.js';
import { CLI, ROOT } from '../e2e/cli-path.js';

let dir = '';
const SCRIPT = `set -e
cd "$2"
common="--yes --json --no-doh-default --no-baselines --fingerprints ${join(ROOT, 'fixtures', 'fingerprints', 'lab.jsonl')} --ca-file $CENSORPROBE_LAB_CA"
censorprobe control "$1" --control "$CENSORPROBE_LAB_CONTROL" --ca-file "$CENSORPROBE_LAB_CA" -o ctl.jsonl
censorprobe run "$1" $common --control "$CENSORPROBE_LAB_CONTROL" > live.jsonl
censorprobe run "$1" $common --control-file ctl.jsonl > file.jsonl
# The same control, recorded two days ago: too old for a DNS comparison (limit 24 h), fine with a 100 h limit.
[ "$3" = stale ] || exit 0
sed 's/"recorded_at":"[^"]*"/"recorded_at":"'"$(date -u -d '2 days ago' +%Y-%m-%dT%H:%M:%SZ)"'"/' ctl.jsonl > old.jsonl
censorprobe run "$1" $common --control-file old.jsonl > stale.jsonl
censorprobe run "$1" $common --control-file old.jsonl --control-max-age 100 > stale-ok.jsonl
`;

type Line = { verdict: { blocking: string | null; accessible: boolean | null; status: string }; control: { source: string; age_s?: number | null; recorded_at?: string | null; max_age_s?: number } };
const read = (d: string, f: string): Line => JSON.parse(readFileSync(join(d, f), 'utf8').trim().split('\n')[0] as string) as Line;
const pick = (l: Line): unknown => ({ blocking: l.verdict.blocking, accessible: l.verdict.accessible, status: l.verdict.status });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'censorprobe-ctlfile-'));
  writeFileSync(join(dir, 'compare.sh'), SCRIPT);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCENARIOS = [
  'dnsBlockingNXDOMAIN',
  'dnsHijackingToLocalhostWithHTTP',
  'tcpBlockingConnectTimeout',
  'tlsBlockingConnectionResetWithConsistentDNS',
  'httpDiffWithConsistentDNS',
  'httpBlockingConnectionReset',
  'websiteDownNXDOMAIN',
  'successWithHTTPS',
];

describe('run --control-file gives the live helper\'s verdicts (lab catalog)', () => {
  it.each(SCENARIOS)('%s', (name) => {
    const d = mkdtempSync(join(dir, `${name}-`));
    const input = loadScenario(name).input;
    const r = spawnSync(process.execPath, [CLI, 'lab', 'exec', name, '--', 'sh', join(dir, 'compare.sh'), input, d, name.startsWith('dns') ? 'stale' : 'fresh'], { encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    const live = read(d, 'live.jsonl');
    const file = read(d, 'file.jsonl');
    expect(live.control.source).toBe('helper');
    expect(file.control.source).toBe('file');
    expect(pick(file)).toEqual(pick(live));
    // The report keeps the control's age and its limit.
    expect(typeof file.control.age_s).toBe('number');
    expect(file.control.age_s).toBeLessThan(3600);
    expect(file.control.max_age_s).toBe(24 * 3600);
    if (name.startsWith('dns')) {
      expect(live.verdict.blocking).toBe('dns');
      const stale = read(d, 'stale.jsonl');
      expect(stale.control.age_s).toBeGreaterThan(47 * 3600);
      expect(pick(stale)).toEqual({ blocking: null, accessible: null, status: 'inconclusive' });
      expect(pick(read(d, 'stale-ok.jsonl'))).toEqual(pick(live));
    }
  }, 200_000);
});
