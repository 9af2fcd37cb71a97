/**
 * Gathering targets from every place the user can name them: argv, files, standard input, or the
 * built-in default list.
 */
import { readFile } from 'node:fs/promises';
import type { Target } from '../model/index.js';
import { DEFAULT_TARGETS } from './default-list.js';
import { normalizeUrl } from './normalize.js';
import { dedupeTargets, parseTargetList } from './parse.js';
import type { ParsedTargets, TargetError } from './parse.js';

/** Options of {@link loadTargets}. */
export interface LoadTargetsOptions {
  /** URLs given on the command line (source `argv`), in order. Required (may be empty). */
  urls: string[];
  /** Target-list files, in order; `-` means standard input (source `stdin`). Required (may be empty). */
  inputFiles: string[];
  /**
   * Reads all of standard input as UTF-8 text. Optional; when absent, `-` is an error
   * (`stdin: cannot read (no standard input available)`). Called at most once.
   */
  readStdin?: () => Promise<string>;
}

/**
 * loadTargets collects, normalises and de-duplicates targets.
 *
 * Order: argv URLs first (source `argv`; an error's `line` is the URL's 1-based position), then each
 * input file in the order given (parsed by {@link parseTargetList}: Citizen Lab CSV or plain list).
 * De-duplication is across all sources by normalised URL, the first occurrence wins. When both `urls`
 * and `inputFiles` are empty, the result is the built-in {@link DEFAULT_TARGETS}.
 *
 * A file that cannot be read yields one error `{ source: FILE, line: 0, reason: 'cannot read (CODE)' }`
 * (displayed `FILE: cannot read (ENOENT)`), one with a NUL byte one error `not a text file (a NUL byte
 * on line N)`, and loading goes on with the other sources. `-` given twice
 * reads standard input once. Never rejects (a rejecting `readStdin` becomes an error entry).
 * Touches no `process.*`: standard input is injected.
 */
export async function loadTargets(opts: LoadTargetsOptions): Promise<ParsedTargets> {
  if (opts.urls.length === 0 && opts.inputFiles.length === 0) {
    return { targets: [...DEFAULT_TARGETS], errors: [] };
  }
  const targets: Target[] = [];
  const errors: TargetError[] = [];

  opts.urls.forEach((raw, index) => {
    const result = normalizeUrl(raw);
    if (result.ok) targets.push({ url: result.url, category_code: null, source: 'argv' });
    else errors.push({ source: 'argv', line: index + 1, reason: result.reason });
  });

  let stdinRead = false;
  for (const file of opts.inputFiles) {
    const isStdin = file === '-';
    if (isStdin && stdinRead) continue;
    const source = isStdin ? 'stdin' : file;
    let text: string;
    try {
      if (isStdin) {
        stdinRead = true;
        if (opts.readStdin === undefined) {
          errors.push({ source, line: 0, reason: 'cannot read (no standard input available)' });
          continue;
        }
        text = await opts.readStdin();
      } else {
        text = await readFile(file, 'utf8');
      }
    } catch (err) {
      errors.push({ source, line: 0, reason: `cannot read (${errorCode(err)})` });
      continue;
    }
    // A NUL byte never occurs in a text list (the heuristic of git and grep): one error for the
    // file rather than a "missing scheme" per line of an image or an archive.
    const nul = text.indexOf('\0');
    if (nul >= 0) {
      errors.push({ source, line: 0, reason: `not a text file (a NUL byte on line ${lineOf(text, nul)})` });
      continue;
    }
    const parsed = parseTargetList(text, source);
    // One by one: a spread of 100,000+ items overflows the call stack.
    for (const t of parsed.targets) targets.push(t);
    for (const e of parsed.errors) errors.push(e);
  }
  return { targets: dedupeTargets(targets), errors };
}

/** The 1-based line of `text` that holds offset `at`. */
function lineOf(text: string, at: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The errno-style code of a read error (`ENOENT`, `EACCES`, `EISDIR`), else its message. */
function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  return String(err);
}
