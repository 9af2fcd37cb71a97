/**
 * nginx-world: the bench's web servers as nginx (when installed), in the lab's world namespace. Same
 * contract as bench/world-extra.ts (one HTTP :80 and one HTTPS :443 server per address in the spec,
 * answering any Host and path with 200 and the byte-exact example page), but written in C: the
 * bench's websites stand for servers elsewhere on the internet, so their CPU on the bench's 2 cores
 * is the lab's cost, not the probe's, and nginx makes it about half of Node's https server's
 * (README "Benchmarks"). One worker process, no keep-alive, no TLS session resumption (the
 * probe and the helper never resume), no logs. Everything lives in the lab's directory.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../src/lab/index.js';
import type { WorldExtraSpec } from './world-extra.js';

/** The nginx binary the bench looks for (Debian's nginx-light or nginx). */
export const NGINX = '/usr/sbin/nginx';

/** How long nginx gets to write its pid file (it does so after binding every listener), ms. */
const READY_TIMEOUT_MS = 20_000;

/** nginxVersion: `nginx/1.22.1` when {@link NGINX} runs, else null. */
export function nginxVersion(): string | null {
  if (!existsSync(NGINX)) return null;
  const r = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  return r.status === 0 ? (/nginx\/\S+/.exec(r.stderr)?.[0] ?? 'nginx') : null;
}

/**
 * nginxConfig is the configuration for `spec` with every file under `dir` (certificate, key, page,
 * pid file, temp paths). Pure.
 */
export function nginxConfig(spec: Pick<WorldExtraSpec, 'serve'>, dir: string): string {
  const servers = spec.serve.map(
    (ip) =>
      `  server {\n    listen ${ip}:80;\n    listen ${ip}:443 ssl;\n    ssl_certificate ${dir}/leaf.pem;\n    ssl_certificate_key ${dir}/leaf.key;\n    root ${dir}/www;\n    location / { try_files /index.html =404; }\n  }`,
  );
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/tmp;`).join(' ');
  return [
    // The worker reads the page and keys under the lab's directory (mode 0700, root's): as root.
    'user root;',
    'worker_processes 1;',
    'daemon off;',
    `pid ${dir}/nginx.pid;`,
    'error_log stderr error;',
    'events { worker_connections 8192; }',
    'http {',
    '  access_log off; server_tokens off; etag off; keepalive_timeout 0;',
    "  types { } default_type 'text/html; charset=utf-8';",
    '  ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets off; ssl_session_cache off;',
    `  ${temp}`,
    ...servers,
    '}',
    '',
  ].join('\n');
}

/**
 * startNginxWorld writes the configuration, certificate and page under `<lab.dir>/nginx`, checks
 * the configuration (`nginx -t`) and starts nginx in the world namespace. Resolves to the running
 * master once its pid file exists (every listener is bound by then); rejects with nginx's own words
 * when the configuration is refused, nginx exits, or it is not ready within 20 s.
 */
export async function startNginxWorld(lab: Lab, spec: WorldExtraSpec): Promise<ChildProcess> {
  const dir = join(lab.dir, 'nginx');
  mkdirSync(join(dir, 'www'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  writeFileSync(join(dir, 'leaf.pem'), spec.cert);
  writeFileSync(join(dir, 'leaf.key'), spec.key, { mode: 0o600 });
  copyFileSync(spec.pagePath, join(dir, 'www', 'index.html'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(spec, dir));
  const test = await lab.execInWorld([NGINX, '-q', '-t', '-c', conf, '-e', 'stderr']);
  if (test.code !== 0) throw new Error(`nginx refused bench/nginx-world.ts's configuration: ${test.stderr.trim()}`);
  const child = lab.spawnInWorld([NGINX, '-c', conf, '-e', 'stderr']);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const end = Date.now() + READY_TIMEOUT_MS;
  while (!existsSync(join(dir, 'nginx.pid'))) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr.trim()}`);
    if (Date.now() > end) throw new Error(`nginx not ready after ${READY_TIMEOUT_MS} ms: ${stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return child;
}
