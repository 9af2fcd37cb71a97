/**
 * A network namespace with nothing in it but loopback: the probe runs there as on a machine with no
 * network, and no packet can leave it. Optionally an nftables input rule drops UDP to 127.0.0.2:53 (an output rule would fail the send with EPERM) so a
 * `--resolver udp://127.0.0.2` query times out for real (slow targets for interruption tests).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CLI } from './cli-path.js';

/** An offline namespace for one test file. */
export interface OfflineNs {
  name: string;
  /** Runs the CLI inside the namespace and waits for it. */
  run(args: string[], opts?: { input?: string; cwd?: string; timeoutMs?: number }): { code: number | null; stdout: string; stderr: string };
  /** Starts the CLI inside the namespace. */
  spawn(args: string[], opts?: { cwd?: string }): ChildProcess;
  destroy(): void;
}

/** Creates the namespace (needs root). */
export function createOfflineNs(tag: string, opts: { blackholeDns?: boolean } = {}): OfflineNs {
  const name = `cp${tag}-${process.pid}`;
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  if (opts.blackholeDns) {
    const rules = 'table inet t {\n  chain in {\n    type filter hook input priority 0;\n    ip daddr 127.0.0.2 udp dport 53 drop\n  }\n}\n';
    execFileSync('ip', ['netns', 'exec', name, 'nft', '-f', '-'], { input: rules });
  }
  const env = { ...process.env, NO_COLOR: '1' };
  return {
    name,
    run(args, o = {}) {
      const r = spawnSync('ip', ['netns', 'exec', name, process.execPath, CLI, ...args], {
        encoding: 'utf8', input: o.input ?? '', cwd: o.cwd, timeout: o.timeoutMs ?? 60_000, env,
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    spawn(args, o = {}) {
      return spawn('ip', ['netns', 'exec', name, process.execPath, CLI, ...args], { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    },
    destroy() {
      spawnSync('ip', ['netns', 'del', name]);
    },
  };
}
