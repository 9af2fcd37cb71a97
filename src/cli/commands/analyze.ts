/**
 * `censorprobe analyze`: offline analysis.
 * - `analyze REPORT.jsonl...`: a per-verdict summary and the anomalies of stored reports;
 *   `--reclassify` re-runs the current rules (and fingerprints) on the stored observations and
 *   lists every measurement whose verdict (blocking, accessible, status) changed.
 * - `analyze --from-ooni FILE...`: OONI Web Connectivity measurements (JSON object, array or
 *   JSONL) → our report lines (stdout, or `-o FILE`), OONI's report id and times kept under
 *   `ooni_source`.
 * Everything streams (readReport / readOoniFile): memory does not grow with the input; lines are
 * printed as they are found and the counts at the end. The work is in `../analyze-actions.ts`.
 */
import { Command } from 'commander';
import type { Io } from '../io.js';
import { collect, fileOption } from '../options.js';
import { exitCodeHelp } from '../exit-codes.js';
import type { AnalyzeFlags } from '../analyze-actions.js';

const EXAMPLES = `
Examples:
  $ censorprobe analyze report.jsonl                       verdict counts and the anomalies
  $ censorprobe analyze --reclassify old.jsonl             what the current rules say differently
  $ censorprobe analyze --reclassify --json a.jsonl b.jsonl  the same as JSON lines, for scripts
  $ censorprobe analyze --fingerprints fp.csv --reclassify report.jsonl
  $ censorprobe analyze --format md report.jsonl             counts by verdict, category, domain and ASN (Markdown)
  $ censorprobe analyze --format csv --by category,asn *.jsonl > counts.csv
  $ censorprobe analyze --from-ooni measurement.json -o ours.jsonl
  $ censorprobe analyze --from-ooni ooni-2024-02.jsonl --json > ours.jsonl

--json prints one JSON object a line: {"kind":"anomaly"|"changed"|"bad_line",...} as found,
then {"kind":"summary",...}. With --from-ooni, --json (or no -o) writes report lines to stdout.
A bad line is reported as FILE:LINE: reason (kind "bad_line" with --json) and the rest goes on.

${exitCodeHelp('analyze')}`;

/** Builds the `analyze` command; `setExit` receives the exit code when the action finishes. */
export function analyzeCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('analyze')
    .description('summarise or re-classify stored reports offline; import OONI measurements (--from-ooni)')
    .argument('<files...>', 'report files (JSONL), or OONI measurement files/directories with --from-ooni')
    .option('--from-ooni', 'the files are OONI Web Connectivity measurements (JSON object, array or JSONL): write our report lines')
    .option('-o, --output <file>', 'with --from-ooni: write the report lines to FILE (default: standard output)', fileOption('-o'))
    .option('--reclassify', 're-run the current rules on the stored observations and list every measurement whose verdict changed')
    .option('--fingerprints <file>', 'add blockpage/false-positive fingerprints (our JSONL, OONI CSV or Censored Planet JSONL; repeatable)', collect, [])
    .option('--json', 'machine-readable output: JSON lines on standard output')
    .option('--format <format>', 'verdict counts grouped by verdict, category, domain and ASN: table, csv, md or json')
    .option('--by <dimensions>', 'with --format: the groupings, comma-separated (verdict,category,domain,asn,probe_asn; default: the first four)')
    .option('--no-asn-db', 'do not use the IP-to-ASN database (@ip-location-db/asn) in the DNS comparison')
    .addHelpText('after', EXAMPLES)
    .action(async (files: string[], flags: AnalyzeFlags) => {
      // The analysis stack is loaded only when the command runs (fast `censorprobe --version`).
      const { analyzeAction } = await import('../analyze-actions.js');
      setExit(await analyzeAction(files, flags, io));
    });
}

