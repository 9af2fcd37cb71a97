/**
 * `censorprobe run --dry-run`: the targets a run would measure, after validation, normalisation,
 * de-duplication, --shard and --resume, one a line on standard output (`URL<TAB>CATEGORY<TAB>SOURCE`,
 * `-` for no category), then a count on standard error. Nothing touches the network.
 */
import type { Target } from '../../model/index.js';
import type { Io } from '../io.js';
import { safeText } from '../escape.js';

/** Unsafe characters (controls, bidi overrides) are shown escaped: a target list is untrusted and the output may be a terminal. */
function safe(s: string): string {
  return safeText(s, 4000);
}

/** Prints the targets and returns exit code 0. */
export function printDryRun(targets: readonly Target[], skipped: number, io: Io): number {
  const lines = targets.map((t) => `${safe(t.url)}\t${safe(t.category_code ?? '-')}\t${safe(t.source)}`);
  if (lines.length > 0) io.stdout.write(`${lines.join('\n')}\n`);
  io.stderr.write(`dry run: ${targets.length} target${targets.length === 1 ? '' : 's'} would be measured${skipped > 0 ? ` (${skipped} already in the report)` : ''}; nothing was measured.\n`);
  return 0;
}
