/**
 * The lab's world is real: real tools (dig, getent, curl) run inside the probe namespace against
 * servers in the world namespace, through the real kernel stack, nftables and the DPI middlebox.
 * Needs root, `ip` and `nft`; without them every test FAILS with the reason (never skips).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGES_DIR, parseScenario, startLab, type Lab } from '../../src/lab/index.js';

const EXAMPLE_PAGE = readFileSync(join(PAGES_DIR, 'example_page.html'));
const BLOCKPAGE = readFileSync(join(PAGES_DIR, 'blockpage.html'));

/** One world carrying one instance of every censor primitive, each on its own destination or name. */
const scenario = parseScenario({
  name: 'labPrimitives',
  description: 'Every censor primitive at once, for the lab self-test.',
  input: 'http://www.example.com/',
  world: { dns: { isp: { 'www.example.com': { a: ['10.10.34.35'] } } } },
  censor: [
    { kind: 'nft', action: 'drop', ip: '67.199.248.11', port: 443 },
    { kind: 'nft', action: 'reject_tcp_reset', ip: '172.67.144.64', port: 443 },
    { kind: 'nft', action: 'reject_host_unreachable', ip: '5.255.255.80', port: 80 },
    { kind: 'nft', action: 'reject_admin_prohibited', ip: '5.255.255.80', port: 443 },
    { kind: 'dpi', match: { host: 'delay.test' }, dst: { ip: '93.184.216.34', port: 80 }, action: { type: 'delay', ms: 300 } },
    { kind: 'dpi', match: { host: 'largefile.com' }, dst: { ip: '52.35.36.75', port: 80 }, action: { type: 'rate_limit', bytes_per_second: 200_000 } },
    { kind: 'dpi', match: { host: 'www.largefile.com' }, dst: { ip: '52.35.36.75', port: 80 }, action: { type: 'freeze_after', bytes: 65_536 } },
    { kind: 'dpi', match: { host: 'www.example.org' }, dst: { ip: '93.184.216.34', port: 80 }, action: 'reset' },
    { kind: 'dpi', match: { contains: 'inject-me' }, dst: { ip: '93.184.216.34', port: 80 }, action: 'inject_blockpage' },
    { kind: 'dpi', match: { host: 'example.org' }, dst: { ip: '93.184.216.34', port: 80 }, action: 'close' },
    { kind: 'dpi', match: { host: 'example.com' }, dst: { ip: '93.184.216.34', port: 80 }, action: { type: 'blackhole' } },
    { kind: 'dpi', match: { sni: 'www.example.org' }, dst: { ip: '93.184.216.34', port: 443 }, action: 'reset' },
    { kind: 'dpi', match: { sni: 'example.org' }, dst: { ip: '93.184.216.34', port: 443 }, action: 'close' },
    { kind: 'dns', name: 'bit.ly', action: 'nxdomain' },
  ],
  expected: {
    ooni: {
      blocking: 'dns',
      accessible: false,
      dns_consistency: 'inconsistent',
      dns_experiment_failure: null,
      http_experiment_failure: 'generic_timeout_error',
      control_failure: null,
      body_length_match: null,
      status_code_match: null,
      headers_match: null,
      title_match: null,
    },
    verdict: { blocking: 'dns', accessible: false, status: 'anomaly' },
  },
});

let labPromise: Promise<Lab> | undefined;
/** getLab returns the lab, or throws startLab's reason so that every test fails with it. */
const getLab = (): Promise<Lab> => (labPromise ??= startLab(scenario));

beforeAll(async () => {
  await getLab().catch(() => undefined);
});
afterAll(async () => {
  const lab = await labPromise?.catch(() => undefined);
  await lab?.stop();
});

async function probe(cmd: string[], timeoutMs = 10_000) {
  return (await getLab()).execInProbe(cmd, { timeoutMs });
}

/** curl in the probe namespace, printing `<http_code> <size_download>` after the body. */
function curl(...args: string[]) {
  return probe(['curl', '-sS', '--max-time', '5', ...args]);
}

describe('the lab world, seen from the probe namespace', () => {
  it('the ISP resolver answers the scenario lie while the clean resolver tells the truth', async () => {
    const isp = await probe(['dig', '+short', '+tries=1', '+time=2', '@130.192.3.21', 'www.example.com', 'A']);
    const clean = await probe(['dig', '+short', '+tries=1', '+time=2', '@193.0.14.129', 'www.example.com', 'A']);
    expect(isp.stdout.trim()).toBe('10.10.34.35');
    expect(clean.stdout.trim()).toBe('93.184.216.34');
  });

  it("the probe's system resolver (getaddrinfo) asks the ISP resolver", async () => {
    const r = await probe(['getent', 'ahostsv4', 'www.example.com']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^10\.10\.34\.35\s+STREAM www\.example\.com/);
  });

  it('AAAA gets an empty NOERROR and an unknown name NXDOMAIN', async () => {
    const aaaa = await probe(['dig', '+tries=1', '+time=2', '@193.0.14.129', 'www.example.com', 'AAAA']);
    expect(aaaa.stdout).toContain('status: NOERROR');
    expect(aaaa.stdout).toContain('ANSWER: 0');
    const nx = await probe(['dig', '+tries=1', '+time=2', '@193.0.14.129', 'www.example.xyz', 'A']);
    expect(nx.stdout).toContain('status: NXDOMAIN');
  });

  it('a DNS forgery rule answers NXDOMAIN to the probe only', async () => {
    const fromProbe = await probe(['dig', '+tries=1', '+time=2', '@193.0.14.129', 'bit.ly', 'A']);
    expect(fromProbe.stdout).toContain('status: NXDOMAIN');
    const fromWorld = await (await getLab()).execInWorld(['dig', '+short', '+tries=1', '+time=2', '@193.0.14.129', 'bit.ly', 'A']);
    expect(fromWorld.stdout.trim()).toBe('67.199.248.11');
  });

  it('curl to 93.184.216.34:80 gets the 1533-byte Default Web Page with the exact headers', async () => {
    const r = await curl('-i', '-H', 'Host: www.example.com', 'http://93.184.216.34/');
    expect(r.code).toBe(0);
    const [head, body] = [r.stdout.slice(0, r.stdout.indexOf('\r\n\r\n')), r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4)];
    expect(head.split('\r\n')).toEqual([
      'HTTP/1.1 200 OK',
      'Alt-Svc: h3=":443"',
      'Content-Length: 1533',
      'Content-Type: text/html; charset=utf-8',
      'Date: Thu, 24 Aug 2023 14:35:29 GMT',
    ]);
    expect(Buffer.from(body)).toEqual(EXAMPLE_PAGE);
  });

  it('HTTPS verifies with the lab CA and passes through the middlebox when no rule matches', async () => {
    const lab = await getLab();
    const r = await curl('-o', '/dev/null', '-w', '%{http_code} %{size_download}', '--cacert', lab.caFile, '--resolve', 'www.example.com:443:93.184.216.34', 'https://www.example.com/');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('200 1533');
  });

  it('with an nft drop rule: the connect times out', async () => {
    const r = await probe(['curl', '-sS', '--connect-timeout', '2', 'https://67.199.248.11/']);
    expect(r.code).toBe(28);
    expect(r.stderr).toMatch(/Failed to connect|Connection timed out|Timeout was reached/);
  });

  it('with reject with tcp reset: the connection is refused', async () => {
    const r = await probe(['curl', '-sS', '--connect-timeout', '2', 'https://172.67.144.64/']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/Couldn't connect|Connection refused/);
  });

  /** Node's connect error code from inside the probe namespace (what the probe's own code sees). */
  const nodeConnect = (ip: string, port: number) =>
    probe([process.execPath, '-e', `require('node:net').connect(${port}, '${ip}').on('error', (e) => console.log(e.code)).on('connect', () => console.log('connected'))`]);

  it('with reject with icmp host-unreachable: the connect fails with EHOSTUNREACH', async () => {
    expect((await nodeConnect('5.255.255.80', 80)).stdout.trim()).toBe('EHOSTUNREACH');
  });

  it('with reject with icmp admin-prohibited: the connect fails with EHOSTUNREACH too', async () => {
    expect((await nodeConnect('5.255.255.80', 443)).stdout.trim()).toBe('EHOSTUNREACH');
  });

  it('with a DPI delay of 300 ms each way: the reply comes at least 600 ms later', async () => {
    const r = await curl('-o', '/dev/null', '-w', '%{http_code} %{time_total}', '-H', 'Host: delay.test', 'http://93.184.216.34/');
    const [code, total] = r.stdout.split(' ');
    expect(code).toBe('400');
    expect(Number(total)).toBeGreaterThanOrEqual(0.6);
  });

  it('with a DPI rate limit of 200 kB/s: four seconds bring about 800 kB', async () => {
    // Four seconds, not two: the shaper makes up for up to 1 s of stall (src/lab/shapers.ts), so a
    // busy machine moves the total little; the bounds are the same ratios as before (0.5x-1.75x).
    const r = await probe(['curl', '-sS', '--max-time', '4', '-o', '/dev/null', '-w', '%{size_download}', '-H', 'Host: largefile.com', 'http://52.35.36.75/']);
    expect(r.code).toBe(28);
    expect(Number(r.stdout)).toBeGreaterThan(400_000);
    expect(Number(r.stdout)).toBeLessThan(1_400_000);
  });

  it('with a DPI freeze after 64 KiB: the body stalls below 64 KiB and the connection stays open', async () => {
    const r = await probe(['curl', '-sS', '--max-time', '2', '-o', '/dev/null', '-w', '%{size_download}', '-H', 'Host: www.largefile.com', 'http://52.35.36.75/']);
    expect(r.code).toBe(28);
    expect(Number(r.stdout)).toBeGreaterThan(0);
    expect(Number(r.stdout)).toBeLessThanOrEqual(65_536);
  });

  it('with a DPI reset on Host: the HTTP exchange is reset', async () => {
    const r = await curl('-H', 'Host: www.example.org', 'http://93.184.216.34/');
    expect(r.code).toBe(56);
    expect(r.stderr).toMatch(/Connection reset by peer/);
  });

  it('with a DPI close on Host: the client reads EOF (empty reply)', async () => {
    const r = await curl('-H', 'Host: example.org', 'http://93.184.216.34/');
    expect(r.code).toBe(52);
    expect(r.stderr).toMatch(/Empty reply from server/);
  });

  it('with a DPI blackhole on Host: the connect succeeds and the reply never comes', async () => {
    const r = await probe(['curl', '-sS', '--max-time', '2', '-w', '%{time_connect}', '-H', 'Host: example.com', 'http://93.184.216.34/']);
    expect(r.code).toBe(28);
    expect(Number(r.stdout)).toBeGreaterThan(0);
  });

  it('with inject_blockpage: the client gets HTTP/1.0 200, no headers, and the 188-byte page', async () => {
    const r = await curl('-i', '-H', 'Host: www.example.com', 'http://93.184.216.34/inject-me');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('HTTP/1.0 200 OK\r\n\r\n')).toBe(true);
    expect(Buffer.from(r.stdout.slice('HTTP/1.0 200 OK\r\n\r\n'.length))).toEqual(BLOCKPAGE);
  });

  it('with an SNI reset: the TLS handshake is reset', async () => {
    const lab = await getLab();
    const r = await curl('--cacert', lab.caFile, '--resolve', 'www.example.org:443:93.184.216.34', 'https://www.example.org/');
    expect(r.code).toBe(35);
    expect(r.stderr).toMatch(/Connection reset by peer/);
  });

  it('with an SNI close: the TLS handshake ends in EOF', async () => {
    const lab = await getLab();
    const r = await curl('--cacert', lab.caFile, '--resolve', 'example.org:443:93.184.216.34', 'https://example.org/');
    expect(r.code).toBe(35);
    expect(r.stderr).toMatch(/SSL_ERROR_SYSCALL|unexpected eof|EOF|Connection closed/i);
  });

  it('badssl serves a wrong-host, an expired and an untrusted certificate', async () => {
    const lab = await getLab();
    const bad = (name: string) => curl('--cacert', lab.caFile, '--resolve', `${name}:443:104.154.89.105`, `https://${name}/`);
    const [wrong, expired, untrusted] = await Promise.all([bad('wrong.host.badssl.com'), bad('expired.badssl.com'), bad('untrusted-root.badssl.com')]);
    expect(wrong.code).toBe(60);
    expect(wrong.stderr).toMatch(/does not match|no alternative certificate subject name/);
    expect(expired.code).toBe(60);
    expect(expired.stderr).toMatch(/expired/);
    expect(untrusted.code).toBe(60);
    expect(untrusted.stderr).toMatch(/unable to get local issuer certificate/);
  });

  it('the blockpage server answers every request with the 188-byte page', async () => {
    const r = await curl('http://83.224.65.41/anything');
    expect(Buffer.from(r.stdout)).toEqual(BLOCKPAGE);
  });
});

describe('servers that need more than a page', () => {
  it('the ISP proxy fetches the true page and drops the upstream headers', async () => {
    const r = await curl('-i', '-H', 'Host: www.example.com', 'http://130.192.182.17/');
    const cut = r.stdout.indexOf('\r\n\r\n');
    expect(r.stdout.slice(0, cut).split('\r\n')).toEqual([
      'HTTP/1.1 200 OK',
      'Content-Length: 1533',
      'Content-Type: text/html; charset=utf-8',
      'Date: Thu, 24 Aug 2023 14:35:29 GMT',
    ]);
    expect(Buffer.from(r.stdout.slice(cut + 4))).toEqual(EXAMPLE_PAGE);
  });

  it('the ISP SNI proxy splices TLS end to end with the real server', async () => {
    const lab = await getLab();
    const r = await curl('-o', '/dev/null', '-w', '%{http_code} %{size_download}', '--cacert', lab.caFile, '--resolve', 'www.example.com:443:130.192.182.17', 'https://www.example.com/');
    expect(r.stdout).toBe('200 1533');
  });

  it('the Cloudflare cache shows the probe a 503 CAPTCHA and the world the page', async () => {
    const lab = await getLab();
    const args = ['curl', '-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', '-H', 'Host: www.cloudflare-cache.com', 'http://104.16.132.229/'];
    expect((await probe(args)).stdout).toBe('503 8432');
    expect((await lab.execInWorld(args)).stdout).toBe('200 1533');
  });

  it('httpbin gives the probe a broken redirect and counts /redirect/N down', async () => {
    const broken = await curl('-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', 'Host: httpbin.com', 'http://172.67.144.64/broken-redirect-http');
    expect(broken.stdout).toMatch(/^302 /);
    const chain = await curl('-L', '-o', '/dev/null', '-w', '%{http_code} %{num_redirects}', '-H', 'Host: httpbin.com', 'http://172.67.144.64/redirect/3');
    expect(chain.stdout).toBe('200 3');
  });
});

describe('the helper side (the world namespace) is not censored', () => {
  it('reaches the dropped, refused and DPI-filtered destinations', async () => {
    const lab = await getLab();
    const world = (args: string[]) => lab.execInWorld(['curl', '-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', ...args], { timeoutMs: 10_000 });
    const [dropped, refused, unreachable, hostReset, sniReset] = await Promise.all([
      world(['--cacert', lab.caFile, '--resolve', 'bit.ly:443:67.199.248.11', 'https://bit.ly/21645']),
      world(['--cacert', lab.caFile, '--resolve', 'httpbin.com:443:172.67.144.64', 'https://httpbin.com/redirect/0']),
      world(['-H', 'Host: ya.ru', 'http://5.255.255.80/']),
      world(['-H', 'Host: www.example.org', 'http://93.184.216.34/']),
      world(['--cacert', lab.caFile, '--resolve', 'www.example.org:443:93.184.216.34', 'https://www.example.org/']),
    ]);
    expect([dropped.stdout, refused.stdout, unreachable.stdout, hostReset.stdout, sniReset.stdout]).toEqual(['308', '200', '200', '200', '200']);
  });

  it('a server spawned in the world on the helper address is reachable from the probe', async () => {
    const lab = await getLab();
    const server = lab.spawnInWorld([
      process.execPath,
      '-e',
      "require('node:http').createServer((q,s)=>s.end('helper-ok')).listen(80,'68.183.70.80',()=>console.log('listening'))",
    ]);
    await new Promise<void>((resolve, reject) => {
      server.stdout?.once('data', () => resolve());
      server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    const r = await curl(`http://${lab.helperAddress}/`);
    expect(r.stdout).toBe('helper-ok');
    server.kill();
  });
});
