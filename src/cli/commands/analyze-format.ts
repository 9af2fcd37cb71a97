/**
 * `analyze --format table|csv|md|json [--by DIMS]`: verdict counts grouped by verdict, category,
 * domain and ASN (../analyze-groups.ts), over our reports or OONI measurements, streamed.
 */
import type { ClassifyOptions } from '../../classify/index.js';
import { DIMENSIONS, FORMATS, formatGroups, Grouper, type Dimension, type Format } from '../analyze-groups.js';
import type { Io } from '../io.js';
import { readMeasurements } from '../measurements.js';
import { safeText } from '../escape.js';
import { UsageError } from '../options.js';
import { verdictLabel } from '../../runner/labels.js';

const LABEL_ORDER = ['accessible', 'dns', 'tcp_ip', 'tls', 'http-failure', 'http-diff', 'throttling', 'anomaly', 'down', 'inconclusive'];

/** Parses `--by verdict,category` (default: verdict, category, domain, asn). */
export function parseDimensions(v: string | undefined): Dimension[] {
  if (v === undefined) return ['verdict', 'category', 'domain', 'asn'];
  const dims = v.split(',').map((d) => d.trim()).filter((d) => d !== '');
  for (const d of dims) if (!(DIMENSIONS as readonly string[]).includes(d)) throw new UsageError(`--by: unknown dimension '${d.slice(0, 40)}' (one of ${DIMENSIONS.join(', ')})`);
  if (dims.length === 0) throw new UsageError('--by: name at least one dimension');
  return [...new Set(dims)] as Dimension[];
}

/** Runs the grouped analysis; returns the exit code (2 when nothing could be read). */
export async function groupedAnalysis(files: string[], flags: { format: string; by?: string; reclassify?: boolean; asnDb: boolean }, options: ClassifyOptions, io: Io): Promise<number> {
  if (!(FORMATS as readonly string[]).includes(flags.format)) throw new UsageError(`--format: '${flags.format.slice(0, 40)}' is not one of ${FORMATS.join(', ')}`);
  const dims = parseDimensions(flags.by);
  const grouper = new Grouper(dims, options.asnLookup ?? null);
  let bad = 0;
  let n = 0;
  for await (const m of readMeasurements(files, { cwd: io.cwd, reclassify: flags.reclassify === true, classify: options })) {
    if (m.record === undefined || m.verdict === undefined) {
      bad++;
      io.stderr.write(`${safeText(m.where)}: ${safeText(m.error ?? 'bad line', 300)}\n`);
      continue;
    }
    n++;
    grouper.add(m.record, m.verdict, verdictLabel(m.verdict));
  }
  if (n === 0) {
    io.stderr.write(`censorprobe: no report line could be read${bad ? ` (${bad} bad line${bad === 1 ? '' : 's'})` : ''}: is this a censorprobe report?\n`);
    return 2;
  }
  const labels = LABEL_ORDER.filter((l) => grouper.labelsSeen.has(l));
  io.stdout.write(formatGroups(grouper.result(), labels, flags.format as Format));
  return 0;
}
