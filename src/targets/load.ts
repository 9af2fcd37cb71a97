/**
 * Gathering targets from every place the user can name them: argv, files, standard input, or the
 * built-in default list.
 */
import { open } from 'node:fs/promises';
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
 * on line N)` (a file's first 64 KiB are checked before the rest is read), UTF-16 one error saying
 * to save it as UTF-8, one over 256 MiB `too large for a target list`, and loading goes on with the other sources. `-` given twice
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
        const read = await readListFile(file);
        if (read.binary !== null) {
          errors.push({ source, line: 0, reason: read.binary });
          continue;
        }
        text = read.text;
      }
    } catch (err) {
      errors.push({ source, line: 0, reason: `cannot read (${errorCode(err)})` });
      continue;
    }
    // A NUL byte never occurs in a text list (the heuristic of git and grep): one error for the
    // file rather than a "missing scheme" per line of an image or an archive.
    const nul = text.indexOf('\0');
    if (nul >= 0) {
      // (Standard input, or a NUL after a file's first 64 KiB: the same reason, from the text up to it.)
      errors.push({ source, line: 0, reason: binaryReason(Buffer.from(text.slice(0, Math.max(nul + 1, 4)))) ?? 'not a text file' });
      continue;
    }
    const parsed = parseTargetList(text, source);
    // One by one: a spread of 100,000+ items overflows the call stack.
    for (const t of parsed.targets) targets.push(t);
    for (const e of parsed.errors) errors.push(e);
  }
  return { targets: dedupeTargets(targets), errors };
}

/** Largest target list read, bytes (a list of a million URLs is ~50 MiB). */
const MAX_LIST_BYTES = 256 * 1024 * 1024;

/**
 * readListFile reads `file` in one pass through one handle (a pipe such as `-i <(cmd)` can be read
 * only once): its first 64 KiB are checked by {@link binaryReason} before the rest is read, so
 * /dev/zero or an image is refused at once; more than {@link MAX_LIST_BYTES} is refused too.
 * Resolves with the text (UTF-8) or the reason it is not a list; rejects like readFile (ENOENT,
 * EISDIR...).
 */
async function readListFile(file: string): Promise<{ text: string; binary: null } | { text: null; binary: string }> {
  const fh = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (chunks.length === 1) {
        const binary = binaryReason(chunks[0] as Buffer);
        if (binary !== null) return { text: null, binary };
      }
      if (total > MAX_LIST_BYTES) return { text: null, binary: `too large for a target list (over ${MAX_LIST_BYTES / 1024 / 1024} MiB)` };
    }
    return { text: Buffer.concat(chunks, total).toString('utf8'), binary: null };
  } finally {
    await fh.close();
  }
}

/**
 * Why the start of a list is not UTF-8 text, or null: a UTF-16 byte-order mark (Windows exports;
 * the list must be saved as UTF-8), or a NUL byte (with its line), which never occurs in text (the
 * heuristic of git and grep).
 */
function binaryReason(head: Buffer): string | null {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return 'not a UTF-8 text file (UTF-16: save it as UTF-8)';
  const nul = head.indexOf(0);
  if (nul < 0) return null;
  const line = 1 + head.subarray(0, nul).filter((b) => b === 0x0a).length;
  // UTF-16 without a byte-order mark: ASCII text with a NUL after (LE) or before (BE) every character.
  const le = head[1] === 0 && head[3] === 0 && head[0] !== 0;
  const be = head[0] === 0 && head[2] === 0 && head[1] !== 0;
  if (head.length >= 4 && (le || be)) return 'not a UTF-8 text file (UTF-16: save it as UTF-8)';
  return `not a text file (a NUL byte on line ${line})`;
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
