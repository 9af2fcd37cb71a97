/**
 * `censorprobe helper`: serve the test-helper protocol (the control) until SIGINT/SIGTERM.
 */
import { Command, Option } from 'commander';
// The helper server (net, flows, undici) is imported when the action runs: fast --help/--version.
import { DEFAULTS } from '../../flows/defaults.js';
import type { FlowOptions } from '../../flows/index.js';
import { SOFTWARE_VERSION } from '../../runner/version.js';
import type { Io } from '../io.js';
import { collect, intOption, parseListen, parseResolver, UsageError, readCaFiles } from '../options.js';
import { exitCodeHelp } from '../exit-codes.js';

interface HelperFlags {
  listen: { host: string; port: number };
  resolver: FlowOptions['resolver'];
  caFile: string[];
  maxInFlight: number;
  maxBody: number;
  timeoutScale: number;
  verbose?: boolean;
}

const EXAMPLES = `
Examples:
  $ censorprobe helper --listen 0.0.0.0:8080
  $ censorprobe helper --listen 127.0.0.1:8080 --resolver udp://9.9.9.9
  $ censorprobe run --control http://HOST:8080/ https://example.org/

The helper answers GET with a health check and POST with OONI's test-helper JSON
({http_request, http_request_headers, tcp_connect} -> {tcp_connect, tls_handshake,
http_request, dns, ip_info}, plus per-hop results under x_censorprobe). It refuses
private and reserved targets, caps sizes, times out every step and answers 503
beyond --max-in-flight. Run it only on an uncensored network (see SECURITY.md).

${exitCodeHelp('helper')}`;

/** Builds the `helper` command; resolves `setExit` when the server stops. */
export function helperCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('helper')
    .description('run a control test helper (OONI-compatible) on an uncensored host')
    .addOption(new Option('--listen <addr:port>', 'address and port to listen on').default({ host: '127.0.0.1', port: 8080 }, '127.0.0.1:8080').argParser(parseListen))
    .addOption(new Option('--resolver <spec>', "the helper's resolver: 'system', 'udp://IP[:PORT]' or a DoH URL").default({ kind: 'system' }, 'system').argParser(parseResolver))
    .option('--ca-file <file>', 'also trust the CA certificates in FILE (PEM) (repeatable)', collect, [])
    .option('--max-in-flight <n>', 'concurrent measurements before answering 503', intOption('--max-in-flight', 1, 10_000), 25)
    .option('--max-body <bytes>', 'body bytes read per fetch', intOption('--max-body', 0, 64 * 1024 * 1024), 16 * 1024 * 1024)
    .option('-v, --verbose', 'log one line per request (status and duration; never the URL)')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: HelperFlags) => {
      setExit(await helperAction(flags, io));
    });
}

async function helperAction(flags: HelperFlags, io: Io): Promise<number> {
  const { createHelperServer } = await import('../../control/helper-server.js');
  const extraCa = await readCaFiles(flags.caFile);
  const server = createHelperServer({
    resolver: flags.resolver,
    // OONI's helper gives TCP/TLS 15 s per endpoint and HTTP 15 s (oohelperd).
    timeouts: { dnsMs: DEFAULTS.dnsTimeoutMs, connectMs: 15_000, tlsMs: 15_000, httpMs: 15_000 },
    maxBodyBytes: flags.maxBody,
    maxRedirects: DEFAULTS.maxRedirects,
    maxInFlight: flags.maxInFlight,
    software: `censorprobe/${SOFTWARE_VERSION}`,
    ...(extraCa.length > 0 ? { extraCa } : {}),
    ...(flags.verbose ? { onRequest: ({ status, ms }: { status: number; ms: number }) => void io.stderr.write(`${new Date().toISOString()} ${status} ${ms} ms\n`) } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`--listen ${flags.listen.host}:${flags.listen.port}: cannot listen (${e.code ?? e.message})`)));
    server.listen(flags.listen.port, flags.listen.host, () => resolve());
  });
  const addr = flags.listen.host.includes(':') ? `[${flags.listen.host}]` : flags.listen.host;
  io.stdout.write(`censorprobe helper listening on http://${addr}:${flags.listen.port}/\n`);
  await new Promise<void>((resolve) => {
    const off = io.onSignal(() => {
      off();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
  return 0;
}
