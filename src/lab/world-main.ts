/**
 * world-main: entry point of the world process, run inside the world namespace as
 * `ip netns exec <world-ns> node [--import tsx] world-main.(ts|js) <world-spec.json>`.
 * Starts the resolvers, the web servers and the DPI middlebox, then prints one JSON WorldReady line
 * on stdout. Exits 1 with the error on stderr if any server cannot start; exits 0 on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { startDnsServer } from './dns-server.js';
import { startMiddlebox } from './middlebox.js';
import { startPublicServices } from './public-services.js';
import { loadPages, startWebServers } from './web-servers.js';
import { CLEAN_RESOLVER, ISP_RESOLVER, PUBLIC_RESOLVERS } from './world-hosts.js';
import type { WorldReady, WorldSpec } from './world-spec.js';

async function main(specPath: string): Promise<void> {
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as WorldSpec;
  const pages = loadPages(spec.pagesDir);
  const dnsCommon = { censor: spec.dns.censor, probeAddress: spec.probeAddress };
  const resolvers = await Promise.all([
    startDnsServer({ address: ISP_RESOLVER, table: spec.dns.isp, ...dnsCommon }),
    ...[CLEAN_RESOLVER, ...PUBLIC_RESOLVERS].map((address) => startDnsServer({ address, table: spec.dns.global, ...dnsCommon })),
  ]);
  const web = [...(await startWebServers(spec, pages)), ...(spec.publicServices !== undefined ? await startPublicServices(spec.publicServices, spec.dns.global) : [])];
  const middlebox = await startMiddlebox(spec.middlebox, pages.blockpage);
  const ready: WorldReady = { event: 'ready', listeners: resolvers.length + web.length + spec.middlebox.length };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const shutdown = (): void => {
    void middlebox.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

const specPath = process.argv[2];
if (specPath === undefined) {
  process.stderr.write('usage: world-main <world-spec.json>\n');
  process.exit(2);
}
main(specPath).catch((err: unknown) => {
  process.stderr.write(`world: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
