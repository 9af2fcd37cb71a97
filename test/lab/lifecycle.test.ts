/**
 * Lab lifecycle: a lab built from a scenario file, two labs side by side, a failed start, and the
 * cleanup after stop(). Needs root, `ip` and `nft`; without them the tests FAIL with the reason.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLabSupport, cleanupStaleLabs, listLabNamespaces, loadScenario, parseScenario, startLab } from '../../src/lab/index.js';

const mine = () => listLabNamespaces().filter((n) => n.includes(`-${process.pid.toString(36)}-`));

describe('lab lifecycle', () => {
  it('reports this machine able to host a lab (or fails with the reason)', () => {
    const support = checkLabSupport();
    expect(support.ok ? 'ok' : support.reason).toBe('ok');
  });

  it('builds dnsBlockingNXDOMAIN from its file: the ISP says NXDOMAIN, the clean resolver the truth', async () => {
    const lab = await startLab(loadScenario('dnsBlockingNXDOMAIN'));
    try {
      const isp = await lab.execInProbe(['dig', '+tries=1', '+time=2', `@${lab.ispResolver}`, 'www.example.com', 'A']);
      expect(isp.stdout).toContain('status: NXDOMAIN');
      const clean = await lab.execInProbe(['dig', '+short', '+tries=1', '+time=2', `@${lab.cleanResolver}`, 'www.example.com', 'A']);
      expect(clean.stdout.trim()).toBe('93.184.216.34');
      const sys = await lab.execInProbe(['getent', 'ahostsv4', 'www.example.com']);
      expect(sys.code).toBe(2); // getent: key not found
    } finally {
      await lab.stop();
    }
  });

  it('runs two labs side by side with their own namespaces and censors', async () => {
    const [open, blocked] = await Promise.all([
      startLab(loadScenario('successWithHTTPS')),
      startLab(loadScenario('tcpBlockingConnectTimeout')),
    ]);
    try {
      expect(new Set([open.worldNs, open.probeNs, blocked.worldNs, blocked.probeNs]).size).toBe(4);
      expect(mine()).toEqual(expect.arrayContaining([open.worldNs, open.probeNs, blocked.worldNs, blocked.probeNs]));
      const args = (caFile: string) => ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--connect-timeout', '2', '--cacert', caFile, '--resolve', 'www.example.com:443:93.184.216.34', 'https://www.example.com/'];
      const [a, b] = await Promise.all([open.execInProbe(args(open.caFile)), blocked.execInProbe(args(blocked.caFile))]);
      expect(a.stdout).toBe('200');
      expect(b.code).toBe(28);
    } finally {
      await Promise.all([open.stop(), blocked.stop()]);
    }
  });

  it('after stop(): ip netns list no longer shows the lab, and /etc/netns and the temp dir are gone', async () => {
    const lab = await startLab(loadScenario('successWithHTTP'));
    expect(listLabNamespaces()).toEqual(expect.arrayContaining([lab.worldNs, lab.probeNs]));
    expect(existsSync(`/etc/netns/${lab.probeNs}/resolv.conf`)).toBe(true);
    expect(existsSync(lab.caFile)).toBe(true);
    await lab.stop();
    await lab.stop(); // idempotent
    expect(listLabNamespaces()).not.toContain(lab.worldNs);
    expect(listLabNamespaces()).not.toContain(lab.probeNs);
    expect(existsSync(`/etc/netns/${lab.probeNs}`)).toBe(false);
    expect(existsSync(lab.dir)).toBe(false);
  });

  it('a failed start says why and tears down what it built', async () => {
    const before = mine();
    const bad = parseScenario({
      ...loadScenario('successWithHTTP'),
      censor: [{ kind: 'nft', action: 'reject_tcp_reset', ip: '93.184.216.34', port: 53, protocol: 'udp' }],
    });
    await expect(startLab(bad)).rejects.toMatchObject({
      name: 'LabError',
      code: 'ERR_PROBE_LAB',
      message: expect.stringContaining('a tcp reset cannot answer udp'),
    });
    expect(mine()).toEqual(before);
  });
});

describe('lab cleanup when the owner does not call stop()', () => {
  const child = (mode: 'exit' | 'wait') =>
    spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./start-lab-child.ts', import.meta.url)), mode], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const namesFrom = (c: ReturnType<typeof child>) =>
    new Promise<string[]>((resolve, reject) => {
      let out = '';
      let err = '';
      c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      c.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim().split(' '));
      });
      c.once('exit', (code) => {
        if (!out.includes('\n')) reject(new Error(`child exited ${code}: ${err}`));
      });
    });

  it('a process that exits without stop() leaves no namespaces behind', async () => {
    const c = child('exit');
    const names = await namesFrom(c);
    await new Promise((r) => c.once('exit', r));
    expect(names).toHaveLength(2);
    expect(listLabNamespaces().filter((n) => names.includes(n))).toEqual([]);
    expect(existsSync(`/etc/netns/${names[1]}`)).toBe(false);
  });

  it('cleanupStaleLabs removes the lab of a process killed with SIGKILL', async () => {
    const c = child('wait');
    const names = await namesFrom(c);
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
    expect(listLabNamespaces()).toEqual(expect.arrayContaining(names));
    expect(cleanupStaleLabs()).toEqual(expect.arrayContaining(names));
    expect(listLabNamespaces().filter((n) => names.includes(n))).toEqual([]);
  });
});
