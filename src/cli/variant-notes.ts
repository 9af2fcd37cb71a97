/**
 * The console notes about protocol variants that sites advertised and the probe did not test
 * (HTTP/3, ECH), shared by `run` and `lab run` (docs/measurement-model.md, "Untested protocol
 * variants").
 */
import type { ReportRecord } from '../model/index.js';

/** The `variant input` keys of `record`'s untested variants (one per variant and target). */
export function untestedKeys(record: ReportRecord): string[] {
  return (record.observations.x_untested_variants ?? []).map((v) => `${v.variant} ${record.input}`);
}

/**
 * variantNotes: one `Note: ...` line per variant seen in `untested` (keys from {@link untestedKeys}),
 * with the number of sites that advertised it; [] when none. Pure.
 */
export function variantNotes(untested: ReadonlySet<string>): string[] {
  const count = (variant: string): number => [...untested].filter((k) => k.startsWith(`${variant} `)).length;
  const sites = (n: number): string => `${n} site${n === 1 ? '' : 's'} advertise${n === 1 ? 's' : ''}`;
  const notes: string[] = [];
  const h3 = count('http3');
  if (h3 > 0) notes.push(`Note: ${sites(h3)} HTTP/3 (Alt-Svc or DNS HTTPS record), which was not tested (observations.x_untested_variants).`);
  const ech = count('ech');
  if (ech > 0) notes.push(`Note: ${sites(ech)} Encrypted Client Hello (ECH, DNS HTTPS record), which was not tested (observations.x_untested_variants).`);
  return notes;
}
