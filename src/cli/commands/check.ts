/**
 * `censorprobe check FILES... --expect EXPECTED.json`: for CI pipelines. Re-classifies recorded
 * measurements (our reports, or OONI Web Connectivity measurements) offline with the current rules
 * and compares every verdict with the expected one; exit 6 (EXIT.DIFFERS) with a readable diff when one differs or
 * an expected target has no measurement, 0 when all hold.
 *
 * EXPECTED.json is one JSON object: target URL → a verdict label (`accessible`, `dns`, `tcp_ip`,
 * `tls`, `http-failure`, `http-diff`, `throttling`, `anomaly`, `down`, `inconclusive`; the labels of
 * src/runner/labels.ts) or a partial verdict `{ "blocking": "dns"|null, "accessible": bool|null,
 * "status": "ok"|"anomaly"|"confirmed"|"down"|"inconclusive" }` (only the keys given are compared).
 * A target measured several times in the input takes a list, matched in the order of its
 * measurements (`"https://x/": ["dns", "accessible"]`). URLs are normalised like targets.
 * `--write-expected FILE` writes the current labels in that form.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import type { Verdict } from '../../model/index.js';
import type { Io } from '../io.js';
import { EXIT, exitCodeHelp } from '../exit-codes.js';
import { safeJson, safeText } from '../escape.js';
import { collect, parserMessage, UsageError } from '../options.js';

const LABELS = ['accessible', 'dns', 'tcp_ip', 'tls', 'http-failure', 'http-diff', 'throttling', 'anomaly', 'down', 'inconclusive'] as const;
const STATUSES = ['ok', 'anomaly', 'confirmed', 'down', 'inconclusive'] as const;

/** One expectation: a label, or some verdict keys. */
export type Expectation = { label: string } | { keys: Partial<Pick<Verdict, 'blocking' | 'accessible' | 'status'>> };

interface CheckFlags {
  expect?: string;
  writeExpected?: string;
  fingerprints: string[];
  asnDb: boolean;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ censorprobe check report.jsonl --expect expected.json         exit 6 with a diff when a verdict differs
  $ censorprobe check ooni-measurements/ --expect expected.json   OONI Web Connectivity files or directories
  $ censorprobe check report.jsonl --write-expected expected.json  record today's verdicts as the expectation

expected.json: {"https://www.example.com/": "dns", "http://x.example/": {"blocking": "http-diff", "status": "confirmed"}}
Labels: ${LABELS.join(', ')}.
${exitCodeHelp('check')}`;

/**
 * parseExpectations validates EXPECTED.json's text; `file` names it in errors. Returns normalised
 * URL → expectation (at least one). Throws {@link UsageError} (one line) naming the file and key:
 * bad JSON, not an object, no expectation at all (`{}`), a bad URL, label or key.
 */
export function parseExpectations(text: string, file: string, normalize: (u: string) => string | null): Map<string, Expectation[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--expect ${file}: bad JSON (${parserMessage(e)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`--expect ${file}: expected a JSON object of URL → verdict label`);
  const out = new Map<string, Expectation[]>();
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const url = normalize(key);
    if (url === null) throw new UsageError(`--expect ${file}: '${key.slice(0, 200)}' is not an http(s) URL`);
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0) throw new UsageError(`--expect ${file}: ${key}: empty list`);
    out.set(url, list.map((x) => parseOne(x, `--expect ${file}: ${key.slice(0, 200)}`)));
  }
  // `{}` would make every check pass whatever was measured (a CI pitfall): refused.
  if (out.size === 0) throw new UsageError(`--expect ${file}: no expectation in it`);
  return out;
}

function parseOne(v: unknown, where: string): Expectation {
  if (typeof v === 'string') {
    if (!(LABELS as readonly string[]).includes(v)) throw new UsageError(`${where}: unknown verdict label '${v.slice(0, 50)}' (one of ${LABELS.join(', ')})`);
    return { label: v };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${where}: expected a label or {blocking, accessible, status}`);
  const keys: Partial<Pick<Verdict, 'blocking' | 'accessible' | 'status'>> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'blocking' && (x === null || (typeof x === 'string' && (LABELS as readonly string[]).includes(x)))) keys.blocking = x as Verdict['blocking'];
    else if (k === 'accessible' && (x === null || typeof x === 'boolean')) keys.accessible = x;
    else if (k === 'status' && typeof x === 'string' && (STATUSES as readonly string[]).includes(x)) keys.status = x as Verdict['status'];
    else throw new UsageError(`${where}: bad key or value '${k.slice(0, 50)}' (blocking: a layer or null, accessible: true/false/null, status: ${STATUSES.join('/')})`);
  }
  if (Object.keys(keys).length === 0) throw new UsageError(`${where}: empty expectation`);
  return { keys };
}

/** Whether `verdict` (with label `label`) meets `e`. Pure. */
export function meets(e: Expectation, verdict: Verdict, label: string): boolean {
  if ('label' in e) return e.label === label;
  return Object.entries(e.keys).every(([k, v]) => verdict[k as keyof typeof e.keys] === v);
}

function describeExpectation(e: Expectation): string {
  if ('label' in e) return e.label;
  return Object.entries(e.keys).map(([k, v]) => `${k} ${String(v)}`).join(', ');
}

/** Builds the `check` command. */
export function checkCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('check')
    .description('CI: re-classify recorded measurements offline and compare each verdict with EXPECTED.json (exit 6 with a diff)')
    .argument('<files...>', 'our reports (JSONL) and/or OONI Web Connectivity measurement files or directories')
    .option('--expect <file>', 'the expected verdicts: a JSON object of URL → label or {blocking, accessible, status}')
    .option('--write-expected <file>', 'write the current verdicts as an expectation file (then exit 0)')
    .option('--fingerprints <file>', 'add blockpage/false-positive fingerprints (repeatable)', collect, [])
    .option('--no-asn-db', 'do not use the IP-to-ASN database in the DNS comparison')
    .option('--json', 'one JSON object a line: {"kind":"differs"|"missing"|"holds"|"bad_line",...}, then a summary')
    .addHelpText('after', EXAMPLES)
    .action(async (files: string[], flags: CheckFlags) => {
      setExit(await checkAction(files, flags, io));
    });
}

async function checkAction(files: string[], flags: CheckFlags, io: Io): Promise<number> {
  if ((flags.expect === undefined) === (flags.writeExpected === undefined)) throw new UsageError('check needs --expect FILE (compare) or --write-expected FILE (record), not both');
  if (flags.writeExpected !== undefined) {
    // Never overwrite a measurement file (or anything else): the expectation is a new file.
    const target = path.resolve(io.cwd, flags.writeExpected);
    if (files.some((f) => path.resolve(io.cwd, f) === target)) throw new UsageError(`--write-expected ${flags.writeExpected}: is one of the files read; choose a new file`);
    if (existsSync(target)) throw new UsageError(`--write-expected ${flags.writeExpected}: already exists; remove it or choose a new file`);
  }
  const [{ readMeasurements }, { normalizeUrl }, { loadFingerprintFiles }, { sharedAsnDatabase }, { verdictLabel, LABEL_TEXT }, { chalkFor }] = await Promise.all([
    import('../measurements.js'),
    import('../../targets/index.js'),
    import('../fingerprints.js'),
    import('../../runner/asn-db.js'),
    import('../../runner/labels.js'),
    import('../render.js'),
  ]);
  const normalize = (u: string): string | null => {
    const r = normalizeUrl(u);
    return r.ok ? r.url : null;
  };
  let expected = new Map<string, Expectation[]>();
  if (flags.expect !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.expect, 'utf8');
    } catch (e) {
      throw new UsageError(`--expect ${flags.expect}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    expected = parseExpectations(text, flags.expect, normalize);
  }
  const classifyOptions = { fingerprints: await loadFingerprintFiles(flags.fingerprints), ...(flags.asnDb ? { asnLookup: sharedAsnDatabase().lookup } : {}) };
  const c = chalkFor(io.stdout, io.env);
  const out = (s: string): void => void io.stdout.write(`${s}\n`);
  const seen = new Map<string, number>();
  const current: Record<string, string[]> = {};
  let measurements = 0;
  let badLines = 0;
  let differs = 0;
  let holds = 0;
  for await (const m of readMeasurements(files, { cwd: io.cwd, reclassify: true, classify: classifyOptions })) {
    if (m.record === undefined || m.verdict === undefined) {
      badLines++;
      if (flags.json) out(safeJson({ kind: 'bad_line', where: m.where, error: m.error }));
      else io.stderr.write(`${safeText(m.where)}: ${safeText(m.error ?? 'bad line', 300)}\n`);
      continue;
    }
    measurements++;
    const url = normalize(m.record.input) ?? m.record.input;
    const label = verdictLabel(m.verdict);
    (current[url] ??= []).push(label);
    const list = expected.get(url);
    if (list === undefined) continue;
    const nth = seen.get(url) ?? 0;
    seen.set(url, nth + 1);
    const e = list[nth] ?? null;
    const got = { label, blocking: m.verdict.blocking, accessible: m.verdict.accessible, status: m.verdict.status };
    if (e === null) {
      differs++;
      if (flags.json) out(safeJson({ kind: 'differs', where: m.where, input: url, expected: null, got, reasons: m.verdict.reasons }));
      else out(`${c.red.bold('DIFFERS')} ${safeText(url)}  ${c.dim(`(${safeText(m.where)})`)}\n  expected: ${list.length} measurement${list.length === 1 ? '' : 's'} of this target, this is number ${nth + 1}`);
      continue;
    }
    if (meets(e, m.verdict, label)) {
      holds++;
      if (flags.json) out(safeJson({ kind: 'holds', where: m.where, input: url, got }));
      continue;
    }
    differs++;
    if (flags.json) {
      out(safeJson({ kind: 'differs', where: m.where, input: url, expected: 'label' in e ? { label: e.label } : e.keys, got, reasons: m.verdict.reasons }));
    } else {
      out(`${c.red.bold('DIFFERS')} ${safeText(url)}  ${c.dim(`(${safeText(m.where)})`)}`);
      out(`  expected: ${describeExpectation(e)}`);
      out(`  got:      ${label} (${LABEL_TEXT[label]}; blocking ${String(m.verdict.blocking)}, accessible ${String(m.verdict.accessible)}, status ${m.verdict.status})`);
      for (const r of m.verdict.reasons.slice(0, 3)) out(`            ${c.dim(safeText(r))}`);
    }
  }
  if (flags.writeExpected !== undefined) {
    if (measurements === 0) {
      io.stderr.write('censorprobe: no measurement could be read: nothing written\n');
      return EXIT.USAGE;
    }
    const flat = Object.fromEntries(Object.entries(current).map(([u, l]) => [u, l.length === 1 ? l[0] : l]));
    try {
      await writeFile(path.resolve(io.cwd, flags.writeExpected), `${JSON.stringify(flat, null, 2)}\n`, { flag: 'wx' });
    } catch (e) {
      io.stderr.write(`censorprobe: --write-expected ${safeText(flags.writeExpected)}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})\n`);
      return (e as NodeJS.ErrnoException).code === 'EIO' || (e as NodeJS.ErrnoException).code === 'ENOSPC' ? EXIT.REPORT_WRITE : EXIT.USAGE;
    }
    io.stderr.write(`${Object.keys(current).length} expected verdicts written to ${safeText(flags.writeExpected)}\n`);
    return EXIT.OK;
  }
  const missing: [string, Expectation][] = [];
  for (const [url, list] of expected) for (const e of list.slice(seen.get(url) ?? 0)) missing.push([url, e]);
  for (const [url, e] of missing) {
    if (flags.json) out(safeJson({ kind: 'missing', input: url, expected: 'label' in e ? { label: e.label } : e.keys }));
    else out(`${c.red.bold('MISSING')} ${safeText(url)}: expected ${describeExpectation(e)}, but no (further) measurement of this target in the input`);
  }
  const total = [...expected.values()].reduce((n, l) => n + l.length, 0);
  const ok = differs === 0 && missing.length === 0;
  if (flags.json) out(safeJson({ kind: 'summary', ok, expectations: total, holds, differs, missing: missing.length, measurements, bad_lines: badLines }));
  else out(`${ok ? c.green.bold('check passed') : c.red.bold('check failed')}: ${total} expectation${total === 1 ? '' : 's'}, ${holds} hold, ${differs} differ, ${missing.length} missing (${measurements} measurement${measurements === 1 ? '' : 's'} read${badLines ? `, ${badLines} bad line${badLines === 1 ? '' : 's'}` : ''})`);
  if (measurements === 0) {
    io.stderr.write('censorprobe: no measurement could be read: is this a censorprobe report or an OONI measurement?\n');
    return EXIT.USAGE;
  }
  return ok ? EXIT.OK : EXIT.DIFFERS;
}
