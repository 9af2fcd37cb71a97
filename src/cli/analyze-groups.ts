/**
 * `censorprobe analyze --format table|csv|md|json [--by verdict,category,domain,asn]`: verdict
 * counts grouped by verdict, Citizen Lab category, the target's domain and the target's network
 * (the ASN of the address the control resolved, else of the probe's first answer; AS0 when unknown),
 * plus `probe_asn` for OONI imports (the probe's network, recorded by OONI). One row per group:
 * `dimension, key, measurements`, then one column per verdict label. CSV through csv-stringify
 * (RFC 4180 quoting); every key is untrusted and escaped for its format.
 */
import { stringify } from 'csv-stringify/sync';
import { safeText } from './escape.js';
import type { AsnLookup } from '../classify/index.js';
import type { ReportRecord, Verdict } from '../model/index.js';

/** The dimensions a report can be grouped by. */
export const DIMENSIONS = ['verdict', 'category', 'domain', 'asn', 'probe_asn'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
/** Output formats. */
export const FORMATS = ['table', 'csv', 'md', 'json'] as const;
export type Format = (typeof FORMATS)[number];

/** One group's counts. */
export interface GroupRow {
  dimension: Dimension;
  key: string;
  measurements: number;
  /** Per verdict label. */
  counts: Record<string, number>;
}

/**
 * The key of `r` in dimension `d` (pure; `asn` uses `lookup`). Keys come from report lines
 * (untrusted: a category read from someone's list), so unsafe characters (controls, bidi
 * overrides) are shown escaped in every format (escape.ts).
 */
export function groupKey(d: Dimension, r: ReportRecord, label: string, lookup: AsnLookup | null): string {
  return safeText(rawGroupKey(d, r, label, lookup), 300);
}

function rawGroupKey(d: Dimension, r: ReportRecord, label: string, lookup: AsnLookup | null): string {
  switch (d) {
    case 'verdict':
      return label;
    case 'category':
      return typeof r.category_code === 'string' && r.category_code !== '' ? r.category_code : '(none)';
    case 'domain': {
      try {
        return new URL(r.input).hostname;
      } catch {
        return '(invalid URL)';
      }
    }
    case 'asn': {
      const addr = targetAddress(r);
      if (addr === null || lookup === null) return 'AS0';
      return `AS${lookup(addr)}`;
    }
    case 'probe_asn': {
      const a = r.ooni_source?.probe_asn;
      return typeof a === 'string' && a !== '' ? a : '(not recorded)';
    }
  }
}

/** The target's address: the control's first DNS answer (uncensored), else the probe's first A/AAAA answer. */
function targetAddress(r: ReportRecord): string | null {
  const c = r.control?.response?.dns?.addrs;
  if (Array.isArray(c) && typeof c[0] === 'string') return c[0];
  const ref = r.control?.dns_reference?.addrs;
  if (Array.isArray(ref) && typeof ref[0] === 'string') return ref[0];
  for (const q of r.observations?.queries ?? []) {
    for (const a of q.answers ?? []) {
      if (typeof a.ipv4 === 'string') return a.ipv4;
      if (typeof a.ipv6 === 'string') return a.ipv6;
    }
  }
  return null;
}

/** Accumulates group counts; memory grows with the number of distinct keys, not of lines. */
export class Grouper {
  private readonly rows = new Map<string, GroupRow>();
  readonly labelsSeen = new Set<string>();

  constructor(
    private readonly dims: readonly Dimension[],
    private readonly lookup: AsnLookup | null,
  ) {}

  add(r: ReportRecord, verdict: Verdict, label: string): void {
    void verdict;
    this.labelsSeen.add(label);
    for (const d of this.dims) {
      const key = groupKey(d, r, label, this.lookup);
      const id = `${d}\u0000${key}`;
      let row = this.rows.get(id);
      if (row === undefined) {
        row = { dimension: d, key, measurements: 0, counts: {} };
        this.rows.set(id, row);
      }
      row.measurements++;
      row.counts[label] = (row.counts[label] ?? 0) + 1;
    }
  }

  /** Rows by dimension (in the order asked), then by measurements (descending), then key. */
  result(): GroupRow[] {
    const order = new Map(this.dims.map((d, i) => [d, i]));
    return [...this.rows.values()].sort((a, b) => (order.get(a.dimension) ?? 0) - (order.get(b.dimension) ?? 0) || b.measurements - a.measurements || a.key.localeCompare(b.key));
  }
}

/** Markdown table cell: pipes and backslashes escaped, HTML-significant characters as entities. */
function mdCell(s: string): string {
  return safeText(s, 300).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, '\\`');
}

/**
 * formatGroups renders rows; `labels` are the verdict columns in order. CSV and JSON are one
 * document; table and md print one section per dimension. Pure.
 */
export function formatGroups(rows: readonly GroupRow[], labels: readonly string[], format: Format): string {
  if (format === 'json') {
    return `${JSON.stringify(rows.map((r) => ({ dimension: r.dimension, key: r.key, measurements: r.measurements, counts: r.counts })), null, 2)}\n`;
  }
  if (format === 'csv') {
    return stringify([
      ['dimension', 'key', 'measurements', ...labels],
      ...rows.map((r) => [r.dimension, safeText(r.key, 300), r.measurements, ...labels.map((l) => r.counts[l] ?? 0)]),
    ]);
  }
  const dims = [...new Set(rows.map((r) => r.dimension))];
  const out: string[] = [];
  for (const d of dims) {
    const rs = rows.filter((r) => r.dimension === d);
    const header = [d, 'measurements', ...labels];
    const body = rs.map((r) => [safeText(r.key, 300), String(r.measurements), ...labels.map((l) => String(r.counts[l] ?? 0))]);
    if (format === 'md') {
      out.push(`### By ${d}`, '', `| ${header.map(mdCell).join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
      for (const b of body) out.push(`| ${b.map((c, i) => (i === 0 ? mdCell(c) : c)).join(' | ')} |`);
      out.push('');
    } else {
      const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
      const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ').trimEnd();
      out.push(line(header), ...body.map(line), '');
    }
  }
  return `${out.join('\n')}`;
}
