/**
 * What the report page shows of one report line: a small, flat summary (the page never embeds
 * whole lines: bodies and certificates stay in the JSONL). Pure functions over {@link ReportRecord}.
 * Times are seconds since the measurement started (the report's `t0`/`t`), rates BITS/s (as the
 * report's `goodput_bps`).
 */
import type { ReportRecord } from '../model/index.js';

/** One bar of a timing waterfall: a step from `t0` to `t` (s), failed or not. */
export interface WaterfallStep {
  /** `DNS`, `connect`, `TLS`, `first byte`, `body`, or `control`; `depth` > 0 for redirect hops. */
  step: string;
  depth: number;
  t0: number;
  t: number;
  failure: string | null;
  /** A short description (address, resolver, status code). */
  detail: string;
}

/** One transfer of a throttling test. */
export interface RatePoint {
  arm: 'target' | 'reference';
  trial: number;
  /** bits/s, null when the transfer had no usable goodput. */
  goodputBps: number | null;
}

/** The page's view of one report line. */
export interface PageEntry {
  input: string;
  label: string;
  blocking: string | null;
  status: string;
  accessible: boolean | null;
  category: string | null;
  reasons: string[];
  fingerprints: string[];
  runtimeS: number;
  measuredAt: string;
  controlSource: string;
  controlFailure: string | null;
  /** Age of the control at measurement time, s (a recorded control file); null for a live control. */
  controlAgeS: number | null;
  vantage: string | null;
  probe: WaterfallStep[];
  control: WaterfallStep[];
  rates: RatePoint[];
  /** Screening goodput of the probe's own fetch, bits/s. */
  screeningGoodputBps: number | null;
  throttlingOutcome: string | null;
  /**
   * Protocol variants the site advertised and the probe did not test (`observations.x_untested_variants`):
   * `HTTP/3 (alt-svc)`, `ECH (https-rr)`..., one per variant and source; [] when none.
   */
  untested: string[];
}

/** Display names of the untested variants (model UntestedVariant). */
const VARIANT_NAMES: Readonly<Record<string, string>> = { http3: 'HTTP/3', ech: 'ECH' };

/** The distinct `NAME (source)` of a line's untested variants; unknown variants, sources and impossible pairs are dropped (the report is untrusted). */
function untestedOf(r: ReportRecord): string[] {
  const list: unknown = (r.observations as { x_untested_variants?: unknown } | undefined)?.x_untested_variants;
  if (!Array.isArray(list)) return [];
  const out = new Set<string>();
  for (const v of list.slice(0, 64) as { variant?: unknown; source?: unknown }[]) {
    const name = typeof v?.variant === 'string' ? VARIANT_NAMES[v.variant] : undefined;
    // ECH is only ever advertised in a DNS HTTPS record; HTTP/3 in Alt-Svc or an HTTPS record.
    const source = v?.source === 'https-rr' || (v?.source === 'alt-svc' && v.variant === 'http3') ? v.source : null;
    if (name !== undefined && source !== null) out.add(`${name} (${source})`);
  }
  return [...out];
}

function span(list: { t0: number; t: number }[]): { t0: number; t: number } | null {
  if (list.length === 0) return null;
  return { t0: Math.min(...list.map((x) => x.t0)), t: Math.max(...list.map((x) => x.t)) };
}

function finite(n: unknown): number | null {
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/** The probe's waterfall: per redirect depth, DNS, connect, TLS, first byte and body (the SNI probe is left out). */
export function probeWaterfall(r: ReportRecord): WaterfallStep[] {
  const o = r.observations;
  const steps: WaterfallStep[] = [];
  const depths = new Set<number>([...o.queries, ...o.tcp_connect, ...o.tls_handshakes, ...o.requests].map((x) => x.depth));
  for (const depth of [...depths].sort((a, b) => a - b)) {
    const q = o.queries.filter((x) => x.depth === depth && !x.tags.includes('sni_probe'));
    const dns = span(q);
    if (dns !== null) {
      const failed = q.length > 0 && q.every((x) => x.failure !== null);
      steps.push({ step: 'DNS', depth, ...dns, failure: failed ? (q[0]?.failure ?? null) : null, detail: `${q[0]?.hostname ?? ''} via ${q[0]?.resolver_address ?? ''}` });
    }
    const c = o.tcp_connect.find((x) => x.depth === depth && !x.tags.includes('sni_probe'));
    if (c !== undefined) steps.push({ step: 'connect', depth, t0: c.t0, t: c.t, failure: c.status.failure, detail: `${c.ip}:${c.port}` });
    const h = o.tls_handshakes.find((x) => x.depth === depth && !x.tags.includes('sni_probe'));
    if (h !== undefined) steps.push({ step: 'TLS', depth, t0: h.t0, t: h.t, failure: h.failure, detail: `${h.address} SNI ${h.server_name}` });
    const req = o.requests.find((x) => x.depth === depth && !x.tags.includes('sni_probe'));
    if (req !== undefined) {
      const fb = finite(req.t_first_byte);
      const code = req.response?.code;
      if (fb !== null) {
        steps.push({ step: 'first byte', depth, t0: req.t0, t: req.t0 + fb, failure: null, detail: code !== undefined ? `HTTP ${code}` : '' });
        steps.push({ step: 'body', depth, t0: req.t0 + fb, t: req.t, failure: req.failure, detail: `${req.response?.body_length ?? 0} bytes` });
      } else {
        steps.push({ step: 'first byte', depth, t0: req.t0, t: req.t, failure: req.failure, detail: code !== undefined ? `HTTP ${code}` : 'no response' });
      }
    }
  }
  return steps;
}

/**
 * The control's bars: the helper (or DoH, or recorded file) exchange as one bar; the helper
 * protocol reports results, not per-step times (docs/report-page.md).
 */
export function controlWaterfall(r: ReportRecord): WaterfallStep[] {
  const c = r.control;
  const t0 = finite(c.t0);
  const t = finite(c.t);
  if (t0 === null || t === null) return [];
  const hop0 = c.response?.x_censorprobe?.hops?.[0];
  const detail = c.source === 'helper' || c.source === 'file'
    ? `${c.address ?? ''}${hop0?.http_request ? `: HTTP ${hop0.http_request.status_code}, ${hop0.http_request.body_length} bytes` : ''}`
    : c.source === 'doh' ? `DNS-over-HTTPS ${c.address ?? ''}` : 'no control';
  return [{ step: 'control', depth: 0, t0, t: Math.max(t, t0), failure: c.failure, detail }];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
}

function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : str(v);
}

/** Keeps only well-typed steps (a hostile report may put anything anywhere). */
function cleanSteps(make: () => WaterfallStep[]): WaterfallStep[] {
  try {
    return make()
      .map((x) => ({ step: str(x.step), depth: finite(x.depth) ?? 0, t0: finite(x.t0) ?? 0, t: finite(x.t) ?? 0, failure: strOrNull(x.failure), detail: str(x.detail) }))
      .map((x) => ({ ...x, t: Math.max(x.t, x.t0) }));
  } catch {
    return [];
  }
}

/**
 * The page entry of one report line, with its verdict label (src/runner/labels.ts). Never throws:
 * fields of the wrong type (the report is untrusted) become empty values.
 */
export function pageEntry(r: ReportRecord, label: string): PageEntry {
  const esc = r.throttling?.escalation ?? null;
  const ageS: unknown = r.control.age_s;
  const v = r.verdict;
  let rates: RatePoint[] = [];
  try {
    rates = esc === null ? [] : esc.transfers.filter((t) => t.arm !== 'main').map((t) => ({ arm: t.arm === 'target' ? 'target' : 'reference', trial: finite(t.trial) ?? 0, goodputBps: finite(t.goodput_bps) }));
  } catch {
    rates = [];
  }
  return {
    input: str(r.input),
    label: str(label),
    blocking: strOrNull(v.blocking),
    status: str(v.status),
    accessible: typeof v.accessible === 'boolean' ? v.accessible : null,
    category: strOrNull(r.category_code),
    reasons: Array.isArray(v.reasons) ? v.reasons.slice(0, 8).map(str) : [],
    fingerprints: Array.isArray(v.fingerprints) ? v.fingerprints.map(str) : [],
    runtimeS: finite(r.test_runtime) ?? 0,
    measuredAt: str(r.measurement_start_time),
    controlSource: str(r.control.source),
    controlFailure: strOrNull(r.control.failure),
    controlAgeS: finite(ageS),
    vantage: strOrNull(r.vantage?.state),
    probe: cleanSteps(() => probeWaterfall(r)),
    control: cleanSteps(() => controlWaterfall(r)),
    rates,
    screeningGoodputBps: finite(r.throttling?.screening?.transfer?.goodput_bps),
    throttlingOutcome: strOrNull(esc?.decision?.outcome),
    untested: untestedOf(r),
  };
}
