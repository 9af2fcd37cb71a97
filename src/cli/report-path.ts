/**
 * Where a command writes its report, decided before anything is measured, so that no measurement
 * is ever lost at the end of a run: `-o` refuses a directory, an unwritable place and (unless the
 * report is resumed) an existing non-empty file; a resumed file must be a censorprobe report; the
 * default name `censorprobe-<UTC time>.jsonl` gets a `-2`, `-3`... suffix when a run started in the
 * same second already took it.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { defaultReportPath } from '../report/index.js';
import { UsageError } from './options.js';

/** Options of {@link resolveReportPath}. */
export interface ReportPathOptions {
  /** `-o FILE` as given, or undefined for the default name. */
  output: string | undefined;
  /** `--json`: the report goes to standard output (returns null). */
  json: boolean;
  /** Continue an existing report (run --resume). */
  resume?: boolean;
  cwd: string;
  now?: Date;
}

/**
 * Returns the absolute report path (null with --json), creating the file empty so that the run
 * owns it. Throws {@link UsageError} (exit 2) with a one-line reason naming the file.
 */
export async function resolveReportPath(o: ReportPathOptions): Promise<string | null> {
  if (o.json && o.output !== undefined) throw new UsageError('--json writes the report to standard output: use either --json or -o FILE');
  if (o.json) return null;
  if (o.output === undefined) {
    const base = path.resolve(o.cwd, defaultReportPath(o.now ?? new Date(), '.'));
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? base : base.replace(/\.jsonl$/, `-${n}.jsonl`);
      try {
        await (await open(candidate, 'wx')).close(); // exclusive create: two runs never share a file
        return candidate;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' || n >= 100) throw new UsageError(`${candidate}: cannot write the report (${code ?? String(e)})`);
      }
    }
  }
  const p = path.resolve(o.cwd, o.output);
  const st = await stat(p).catch(() => null);
  if (st?.isDirectory()) throw new UsageError(`-o ${o.output}: is a directory`);
  if (st !== null && st.size > 0) {
    if (o.resume !== true) throw new UsageError(`-o ${o.output}: the file exists; add --resume to continue that report, or choose another file`);
    if (!(await looksLikeReport(p))) throw new UsageError(`-o ${o.output}: not a censorprobe report (its first line has no schema_version): refusing to append to it`);
  }
  try {
    await (await open(p, 'a')).close();
  } catch (e) {
    throw new UsageError(`-o ${o.output}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return p;
}

/** True when the file's first line is a JSON object with `schema_version` (a report line). */
async function looksLikeReport(p: string): Promise<boolean> {
  const fh = await open(p, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const first = buf.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
    // A first line longer than the buffer is still a report if it starts like one.
    return /^\{"schema_version":"\d+\.\d+\.\d+"/.test(first);
  } finally {
    await fh.close();
  }
}

