/**
 * Reading `run --control-file FILE` (src/runner/control-file.ts describes the format): every line
 * checked; the first bad line stops the run before anything is measured (`FILE:LINE: reason`).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { normalizeUrl } from '../../targets/index.js';
import { parseControlLine, type ControlFile, type ControlFileEntry } from '../../runner/control-file.js';
import { UsageError } from '../options.js';
import { safeText } from '../escape.js';

/** Loads a control file; throws {@link UsageError} naming the file (and line). */
export async function loadControlFile(file: string, maxAgeS: number): Promise<ControlFile> {
  const entries = new Map<string, ControlFileEntry>();
  let n = 0;
  try {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const text of lines) {
      n++;
      if (text.trim() === '') continue;
      const e = parseControlLine(text);
      if (typeof e === 'string') throw new UsageError(`--control-file ${file}:${n}: ${safeText(e, 200)}`);
      const u = normalizeUrl(e.input);
      entries.set(u.ok ? u.url : e.input, e);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--control-file ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (entries.size === 0) throw new UsageError(`--control-file ${file}: no recorded control in the file`);
  return { path: file, entries, maxAgeS };
}
