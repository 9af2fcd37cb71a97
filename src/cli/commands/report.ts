/**
 * `censorprobe report REPORT.jsonl... -o report.html`: one self-contained HTML page (no network
 * needed to open it) from reports (our JSONL, or OONI measurements): summary counts, network
 * state, controls, and a sortable, filterable table of targets with their evidence, timing
 * waterfalls and throttling rates (src/present/report-page.ts). The stored verdicts are shown
 * (`--reclassify`: the current rules').
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import type { Io } from '../io.js';
import { collect, fileOption, UsageError } from '../options.js';
import { EXIT, exitCodeHelp } from '../exit-codes.js';
import { safeText } from '../escape.js';

interface ReportFlags {
  output?: string;
  reclassify?: boolean;
  fingerprints: string[];
}

const EXAMPLES = `
Examples:
  $ censorprobe report censorprobe-20261130T101500Z.jsonl -o report.html
  $ censorprobe report part1.jsonl part2.jsonl part3.jsonl -o all.html   shards, merged
  $ censorprobe report --reclassify old.jsonl -o old-today.html          verdicts by the current rules

Without -o the page is written next to the first report, with .html instead of .jsonl; -o - writes
it to standard output. An existing page is never overwritten: remove it or choose another name.

${exitCodeHelp('report')}`;

/** Builds the `report` command. */
export function reportCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('report')
    .description('make a self-contained HTML page (summary, network state, sortable table, timing waterfalls) from reports')
    .argument('<files...>', 'reports (JSONL) or OONI measurement files/directories')
    .option('-o, --output <file>', 'the HTML file to write (- for standard output)', fileOption('-o'))
    .option('--reclassify', 'show the current rules\' verdicts instead of the stored ones')
    .option('--fingerprints <file>', 'with --reclassify: add blockpage/false-positive fingerprints (repeatable)', collect, [])
    .addHelpText('after', EXAMPLES)
    .action(async (files: string[], flags: ReportFlags) => {
      setExit(await reportAction(files, flags, io));
    });
}

async function reportAction(files: string[], flags: ReportFlags, io: Io): Promise<number> {
  const [{ readMeasurements }, { loadFingerprintFiles }, { verdictLabel, LABEL_TEXT, BLOCKED_LABELS }, { pageEntry }, { renderReportPage }, { SOFTWARE_VERSION }] = await Promise.all([
    import('../measurements.js'),
    import('../fingerprints.js'),
    import('../../runner/labels.js'),
    import('../../present/page-data.js'),
    import('../../present/report-page.js'),
    import('../../runner/version.js'),
  ]);
  const first = files[0] as string;
  const output = flags.output ?? path.join(path.dirname(path.resolve(io.cwd, first)), `${path.basename(first).replace(/\.jsonl?$/, '')}.html`);
  const outAbs = output === '-' ? '-' : path.resolve(io.cwd, output);
  if (files.some((f) => path.resolve(io.cwd, f) === outAbs)) throw new UsageError(`-o ${output}: is one of the reports read`);
  if (/\.jsonl?$/.test(output)) throw new UsageError(`-o ${output}: the page is HTML; name it .html (a .jsonl name would look like a report)`);
  // Like run -o and check --write-expected: never overwrite a file (checked now, before reading the
  // reports, and again by the exclusive create below).
  if (outAbs !== '-' && existsSync(outAbs)) throw existsError(output);
  const classify = { fingerprints: await loadFingerprintFiles(flags.fingerprints) };
  const entries = [];
  let bad = 0;
  for await (const m of readMeasurements(files, { cwd: io.cwd, reclassify: flags.reclassify === true, classify })) {
    if (m.record === undefined || m.verdict === undefined) {
      bad++;
      io.stderr.write(`${safeText(m.where)}: ${safeText(m.error ?? 'bad line', 300)}\n`);
      continue;
    }
    entries.push(pageEntry({ ...m.record, verdict: m.verdict }, verdictLabel(m.verdict)));
  }
  if (entries.length === 0) {
    io.stderr.write(`censorprobe: no measurement could be read${bad ? ` (${bad} bad line${bad === 1 ? '' : 's'})` : ''}: is this a censorprobe report?\n`);
    return EXIT.USAGE;
  }
  const order = ['accessible', 'dns', 'tcp_ip', 'tls', 'http-failure', 'http-diff', 'throttling', 'anomaly', 'down', 'inconclusive'] as const;
  const html = renderReportPage({
    entries,
    files,
    badLines: bad,
    generatedAt: new Date().toISOString(),
    softwareVersion: SOFTWARE_VERSION,
    labels: order.map((id) => ({ id, text: LABEL_TEXT[id], blocked: BLOCKED_LABELS.has(id) })),
  });
  if (outAbs === '-') {
    io.stdout.write(html);
    return EXIT.OK;
  }
  try {
    await writeFile(outAbs, html, { flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw existsError(output);
    io.stderr.write(`censorprobe: -o ${safeText(output)}: cannot write (${safeText(code ?? String(e))})\n`);
    // A full disk or an I/O error is a write error (4); a bad place (EACCES, ENOENT, EISDIR) is a bad argument (2).
    return code === 'ENOSPC' || code === 'EIO' || code === 'EDQUOT' || code === 'EFBIG' ? EXIT.REPORT_WRITE : EXIT.USAGE;
  }
  io.stderr.write(`${entries.length} measurement${entries.length === 1 ? '' : 's'}: ${safeText(outAbs)}\n`);
  return EXIT.OK;
}

/** The refusal of an existing output file (exit 2, one line). */
function existsError(output: string): UsageError {
  return new UsageError(`-o ${output}: the file exists; remove it or choose another file (-o - writes to standard output)`);
}
