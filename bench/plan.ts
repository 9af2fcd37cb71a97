/**
 * plan: the bench's world of N targets (pure). About 70% accessible, the rest spread over the
 * censorship kinds the lab can play: DNS NXDOMAIN and bogon answers from the ISP resolver, TCP drop
 * (nft), RST on SNI and on Host (DPI), blockpage injection (DPI), and a website that is down for
 * everyone (connection refused). Every target has its own host name; the names map onto a handful
 * of server addresses, so the lab's DNS tables grow with N but its servers and rules do not.
 */
import type { CensorRule, DnsChanges, Scenario } from '../src/lab/index.js';
import type { VerdictLabel } from '../src/runner/labels.js';

/**
 * The bench's server addresses (public-looking, outside docs/lab.md's plan, added as /32s on the world's
 * `lo` by bench/run.ts).
 */
export const BENCH_ADDRESSES = {
  /** HTTP + HTTPS servers answering any Host with the example page. */
  ok: '45.33.128.10',
  /** Same servers, but every probe packet to it is dropped (nft drop). */
  drop: '45.33.128.11',
  /** Same servers; the DPI middlebox resets the probe's connections here (SNI :443, Host :80). */
  rst: '45.33.128.12',
  /** Same servers; the DPI middlebox injects a blockpage into the probe's HTTP here. */
  blockpage: '45.33.128.13',
  /** On `lo` but nothing listens: refused for the probe and the helper (the site is down). */
  down: '45.33.128.14',
} as const;

/** BOGON: the address the lying ISP resolver gives for dns-bogon targets (docs/lab.md's bogon). */
export const BOGON = '10.10.34.35';

/** The DNS zone of the bench's host names. */
export const BENCH_ZONE = 'bench-site.org';

/** TargetKind: what the world does to one target. */
export type TargetKind = 'ok-http' | 'ok-https' | 'dns-nxdomain' | 'dns-bogon' | 'tcp-drop' | 'rst-sni' | 'rst-host' | 'blockpage' | 'down';

/** KIND_SHARES: fraction of targets per kind, in percent (sums to 100). */
export const KIND_SHARES: Readonly<Record<TargetKind, number>> = {
  'ok-http': 35,
  'ok-https': 35,
  'dns-nxdomain': 5,
  'dns-bogon': 3,
  'tcp-drop': 5,
  'rst-sni': 5,
  'rst-host': 3,
  blockpage: 5,
  down: 4,
};

/** EXPECTED_LABEL: the verdict label (src/runner/labels.ts) each kind must get with the helper as control. */
export const EXPECTED_LABEL: Readonly<Record<TargetKind, VerdictLabel>> = {
  'ok-http': 'accessible',
  'ok-https': 'accessible',
  'dns-nxdomain': 'dns',
  'dns-bogon': 'dns',
  'tcp-drop': 'tcp_ip',
  'rst-sni': 'tls',
  'rst-host': 'http-failure',
  blockpage: 'http-diff',
  down: 'down',
};

/** BenchControl: what a bench run compares with: the helper, the default path's DoH DNS control, or nothing. */
export type BenchControl = 'helper' | 'doh' | 'none';

/**
 * expectedLabel: the verdict label (src/runner/labels.ts) a kind must get in a run with `control`.
 * With the helper: {@link EXPECTED_LABEL}. Without one, docs/verdict-rules.md "Without a helper":
 * the DNS answer is compared with the DoH reference only (`doh`: the ISP's NXDOMAIN and bogon
 * answers are `dns`; `none`: there is no reference, so they are not compared), a verified HTTPS
 * success is `accessible`, and anything else is `inconclusive` (an offline machine never yields
 * "blocked": the dropped, reset, blockpage and down targets, and the plain-HTTP page that nothing
 * can vouch for). Pure.
 */
export function expectedLabel(kind: TargetKind, control: BenchControl): VerdictLabel {
  if (control === 'helper') return EXPECTED_LABEL[kind];
  if (kind === 'ok-https') return 'accessible';
  if (control === 'doh' && (kind === 'dns-nxdomain' || kind === 'dns-bogon')) return 'dns';
  return 'inconclusive';
}

/** BenchTarget: one URL and its kind. */
export interface BenchTarget {
  url: string;
  host: string;
  kind: TargetKind;
}

/**
 * kindOf spreads kinds evenly over indexes (a blocked target every ~3 accessible ones, not in
 * blocks), so any prefix of the list has about the same mix. Pure.
 */
export function kindOf(i: number): TargetKind {
  const slot = (i * 37) % 100; // 37 is coprime with 100: a permutation of 0..99 every 100 targets
  let acc = 0;
  for (const [kind, share] of Object.entries(KIND_SHARES) as [TargetKind, number][]) {
    acc += share;
    if (slot < acc) return kind;
  }
  return 'ok-http';
}

/** makeTargets returns `n` targets t00000… with their kinds. Pure. */
export function makeTargets(n: number): BenchTarget[] {
  return Array.from({ length: n }, (_, i) => {
    const kind = kindOf(i);
    const host = `t${String(i).padStart(5, '0')}.${kind}.${BENCH_ZONE}`;
    const https = kind === 'ok-https' || kind === 'rst-sni' || kind === 'tcp-drop';
    return { url: `${https ? 'https' : 'http'}://${host}/`, host, kind };
  });
}

function addressOf(kind: TargetKind): string {
  switch (kind) {
    case 'tcp-drop':
      return BENCH_ADDRESSES.drop;
    case 'rst-sni':
    case 'rst-host':
      return BENCH_ADDRESSES.rst;
    case 'blockpage':
      return BENCH_ADDRESSES.blockpage;
    case 'down':
      return BENCH_ADDRESSES.down;
    default:
      return BENCH_ADDRESSES.ok;
  }
}

/**
 * benchScenario returns the lab scenario for `targets`: every name in the global table (the real
 * world), the ISP's lies for the DNS kinds, and six censor rules whatever N is. `expected` is
 * unused by the bench (filled for the type). Pure.
 */
export function benchScenario(targets: readonly BenchTarget[]): Scenario {
  const global: DnsChanges = {};
  const isp: DnsChanges = {};
  for (const t of targets) {
    global[t.host] = { a: [addressOf(t.kind)] };
    if (t.kind === 'dns-nxdomain') isp[t.host] = null;
    if (t.kind === 'dns-bogon') isp[t.host] = { a: [BOGON] };
  }
  const censor: CensorRule[] = [
    { kind: 'nft', action: 'drop', ip: BENCH_ADDRESSES.drop },
    { kind: 'dpi', match: { contains: `.rst-sni.${BENCH_ZONE}` }, dst: { ip: BENCH_ADDRESSES.rst, port: 443 }, action: 'reset' },
    { kind: 'dpi', match: { contains: `.rst-host.${BENCH_ZONE}` }, dst: { ip: BENCH_ADDRESSES.rst, port: 80 }, action: 'reset' },
    { kind: 'dpi', match: { contains: `.blockpage.${BENCH_ZONE}` }, dst: { ip: BENCH_ADDRESSES.blockpage, port: 80 }, action: 'inject_blockpage' },
  ];
  return {
    name: `bench-${targets.length}`,
    description: `npm run bench: ${targets.length} targets`,
    input: targets[0]?.url ?? `http://t00000.ok-http.${BENCH_ZONE}/`,
    world: { dns: { global, isp } },
    censor,
    expected: {
      ooni: {
        blocking: false,
        accessible: true,
        dns_consistency: 'consistent',
        dns_experiment_failure: null,
        http_experiment_failure: null,
        control_failure: null,
        body_length_match: true,
        status_code_match: true,
        headers_match: true,
        title_match: true,
      },
      verdict: { blocking: null, accessible: true, status: 'ok' },
    },
  };
}
