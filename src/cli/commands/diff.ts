/**
 * `censorprobe diff OLD NEW`: the targets whose verdict changed between two reports (or OONI
 * measurement files), plus the targets measured in only one of them. Verdicts are the stored ones
 * (`--reclassify`: both re-classified with the current rules). When a target was measured more than
 * once in a file, its last measurement counts. Exit 0 (`--exit-code`: 6, EXIT.DIFFERS, when anything changed).
 */
import { Command } from 'commander';
import type { Io } from '../io.js';
import { EXIT, exitCodeHelp } from '../exit-codes.js';
import { safeJson, safeText } from '../escape.js';
import { collect } from '../options.js';

interface DiffFlags {
  reclassify?: boolean;
  fingerprints: string[];
  asnDb: boolean;
  json?: boolean;
  exitCode?: boolean;
}

const EXAMPLES = `
Examples:
  $ censorprobe diff monday.jsonl tuesday.jsonl            targets whose verdict changed
  $ censorprobe diff --json old.jsonl new.jsonl             {"kind":"changed"|"only_old"|"only_new",...} lines, then a summary
  $ censorprobe diff --exit-code old.jsonl new.jsonl        exit 6 when anything changed (CI)

${exitCodeHelp('diff')}`;

/** A target's verdict in one file. */
interface Seen {
  label: string;
  where: string;
  reason: string | undefined;
}

/** Builds the `diff` command. */
export function diffCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('diff')
    .description('list the targets whose verdict changed between two reports')
    .argument('<old>', 'the earlier report (our JSONL, or OONI measurements)')
    .argument('<new>', 'the later report')
    .option('--reclassify', 're-classify both with the current rules instead of comparing the stored verdicts')
    .option('--fingerprints <file>', 'with --reclassify: add blockpage/false-positive fingerprints (repeatable)', collect, [])
    .option('--no-asn-db', 'do not use the IP-to-ASN database in the DNS comparison')
    .option('--json', 'machine-readable output (JSON lines)')
    .option('--exit-code', 'exit 6 when a verdict changed or a target is in one file only')
    .addHelpText('after', EXAMPLES)
    .action(async (oldFile: string, newFile: string, flags: DiffFlags) => {
      setExit(await diffAction(oldFile, newFile, flags, io));
    });
}

async function diffAction(oldFile: string, newFile: string, flags: DiffFlags, io: Io): Promise<number> {
  const [{ readMeasurements }, { normalizeUrl }, { loadFingerprintFiles }, { sharedAsnDatabase }, { verdictLabel }, { chalkFor }] = await Promise.all([
    import('../measurements.js'),
    import('../../targets/index.js'),
    import('../fingerprints.js'),
    import('../../runner/asn-db.js'),
    import('../../runner/labels.js'),
    import('../render.js'),
  ]);
  const classify = { fingerprints: await loadFingerprintFiles(flags.fingerprints), ...(flags.asnDb && flags.reclassify ? { asnLookup: sharedAsnDatabase().lookup } : {}) };
  const read = async (file: string): Promise<Map<string, Seen>> => {
    const map = new Map<string, Seen>();
    let bad = 0;
    for await (const m of readMeasurements([file], { cwd: io.cwd, reclassify: flags.reclassify === true, classify })) {
      if (m.record === undefined || m.verdict === undefined) {
        bad++;
        io.stderr.write(`${safeText(m.where)}: ${safeText(m.error ?? 'bad line', 300)}\n`);
        continue;
      }
      const r = normalizeUrl(m.record.input);
      map.set(r.ok ? r.url : m.record.input, { label: verdictLabel(m.verdict), where: m.where, reason: m.verdict.reasons[0] });
    }
    if (map.size === 0) {
      io.stderr.write(`censorprobe: ${safeText(file)}: no measurement could be read${bad ? ` (${bad} bad line${bad === 1 ? '' : 's'})` : ''}\n`);
      return map;
    }
    return map;
  };
  const before = await read(oldFile);
  const after = await read(newFile);
  if (before.size === 0 || after.size === 0) return EXIT.USAGE;
  const c = chalkFor(io.stdout, io.env);
  const out = (s: string): void => void io.stdout.write(`${s}\n`);
  let changed = 0;
  let unchanged = 0;
  let onlyOld = 0;
  let onlyNew = 0;
  for (const [url, a] of before) {
    const b = after.get(url);
    if (b === undefined) {
      onlyOld++;
      if (flags.json) out(safeJson({ kind: 'only_old', input: url, old: a.label, where: a.where }));
      else out(`${c.yellow('ONLY OLD')} ${safeText(url)}: ${a.label}`);
    } else if (a.label !== b.label) {
      changed++;
      if (flags.json) out(safeJson({ kind: 'changed', input: url, old: a.label, new: b.label, old_where: a.where, new_where: b.where, reason: b.reason ?? null }));
      else {
        out(`${c.bold('CHANGED')}  ${safeText(url)}: ${a.label} → ${c.bold(b.label)}`);
        if (b.reason !== undefined) out(`         ${c.dim(safeText(b.reason))}`);
      }
    } else unchanged++;
  }
  for (const [url, b] of after) {
    if (before.has(url)) continue;
    onlyNew++;
    if (flags.json) out(safeJson({ kind: 'only_new', input: url, new: b.label, where: b.where }));
    else out(`${c.yellow('ONLY NEW')} ${safeText(url)}: ${b.label}`);
  }
  if (flags.json) out(safeJson({ kind: 'summary', changed, unchanged, only_old: onlyOld, only_new: onlyNew }));
  else out(`diff: ${changed} changed, ${unchanged} unchanged, ${onlyOld} only in ${safeText(oldFile)}, ${onlyNew} only in ${safeText(newFile)}`);
  return flags.exitCode && changed + onlyOld + onlyNew > 0 ? EXIT.DIFFERS : EXIT.OK;
}
