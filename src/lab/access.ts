/**
 * access: how this user can build a lab. As root, directly. As an ordinary user, inside an
 * unprivileged user namespace (`unshare -rnm`, docs/lab.md), where the user is root
 * over new network and mount namespaces: the wrapper mounts private tmpfs over `/run/netns` (where
 * `ip netns` keeps its namespaces) and `/etc/netns` (the probe's resolv.conf), so nothing on the host
 * changes and everything vanishes with the process. Otherwise it says what is missing, in one line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** USERNS_ENV marks a process already re-executed inside the user namespace (value `1`). */
export const USERNS_ENV = 'CENSORPROBE_LAB_USERNS';

/**
 * USERNS_SETUP: the shell run by `unshare -rnm sh -c USERNS_SETUP sh CMD...` before exec'ing CMD:
 * private tmpfs over /run/netns (or /run when /run/netns does not exist yet) and over /etc/netns.
 */
export const USERNS_SETUP = [
  'set -e',
  'if [ -d /run/netns ]; then mount -t tmpfs -o mode=755 tmpfs /run/netns; else mount -t tmpfs -o mode=755 tmpfs /run; mkdir -p /run/netns; fi',
  'mount -t tmpfs -o mode=755 tmpfs /etc/netns',
  'exec "$@"',
].join('\n');

/**
 * LabAccess: `root` (build the lab here), `userns` (re-run the command as `[...prefix, node, cli,
 * args...]` with USERNS_ENV=1 in the environment), or `none` with the reason (one line, says what is
 * missing and what to do).
 */
export type LabAccess = { mode: 'root' } | { mode: 'userns'; prefix: string[] } | { mode: 'none'; reason: string };

/** LabAccessFacts: what decideLabAccess looks at (gathered by probeLabAccess). */
export interface LabAccessFacts {
  platform: string;
  uid: number;
  /** True when already inside the user namespace set up by a re-exec. */
  insideUserns: boolean;
  /** Result of trying `unshare -rnm true`: null if it worked, else why not. */
  unshareError: string | null;
  /** Whether /etc/netns exists (an ordinary user cannot create it). */
  etcNetnsExists: boolean;
}

/** decideLabAccess turns facts into a LabAccess. Pure. */
export function decideLabAccess(f: LabAccessFacts): LabAccess {
  if (f.platform !== 'linux') return { mode: 'none', reason: `the lab needs Linux network namespaces; this is ${f.platform}` };
  if (f.uid === 0 || f.insideUserns) return { mode: 'root' };
  if (f.unshareError !== null) {
    return {
      mode: 'none',
      reason: `the lab needs root or unprivileged user namespaces, and \`unshare -rnm\` failed here (${f.unshareError}): run it with sudo, or allow user namespaces (sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1 where it exists, no AppArmor restriction)`,
    };
  }
  if (!f.etcNetnsExists) {
    return { mode: 'none', reason: 'the lab as an ordinary user needs the directory /etc/netns, which only root can create: run `sudo mkdir /etc/netns` once, or run the lab with sudo' };
  }
  return { mode: 'userns', prefix: ['unshare', '-rnm', 'sh', '-c', USERNS_SETUP, 'sh'] };
}

/**
 * probeLabAccess gathers the facts for `uid`/`env` (tries `unshare -rnm true` only when not root)
 * and decides. Never throws.
 */
export function probeLabAccess(uid: number, env: NodeJS.ProcessEnv, platform: string = process.platform): LabAccess {
  const insideUserns = env[USERNS_ENV] === '1';
  let unshareError: string | null = null;
  if (uid !== 0 && !insideUserns && platform === 'linux') {
    const r = spawnSync('unshare', ['-rnm', 'true'], { encoding: 'utf8', timeout: 5000 });
    if (r.error) unshareError = (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? "'unshare' (util-linux) is not installed" : r.error.message;
    else if (r.status !== 0) unshareError = (r.stderr || `exit ${r.status}`).trim().split('\n')[0] ?? `exit ${r.status}`;
  }
  return decideLabAccess({ platform, uid, insideUserns, unshareError, etcNetnsExists: existsSync('/etc/netns') });
}
