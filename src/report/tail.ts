/**
 * The end of a report before it is continued (`run --resume`): a last line without its `\n` (the
 * writer was killed mid-line: see writer.ts) is cut off, so the resumed report holds only whole
 * lines and the torn measurement is measured again; a whole record that only lost its final `\n`
 * is kept ({@link settleTail}).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { parseReportLine } from './read.js';

/** Bytes read back from the end at a time while looking for the last `\n`. */
const CHUNK = 64 * 1024;

/**
 * trimTornTail truncates the file at `path` just after its last `\n` (to 0 when it has none) if its
 * last byte is not `\n`. Resolves with the number of bytes removed (0 when the file ends with `\n`,
 * is empty, or is not a regular file). Rejects with the fs error (ENOENT, EACCES...). The file is
 * read backwards in 64 KiB chunks: memory does not depend on its size.
 */
export async function trimTornTail(path: string): Promise<number> {
  const fh = await open(path, 'r+');
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size === 0 || (await lastByte(fh, st.size)) === 0x0a) return 0;
    const keep = await lastLineStart(fh, st.size);
    await fh.truncate(keep);
    return st.size - keep;
  } finally {
    await fh.close();
  }
}

/** A last line longer than this is never read back to be kept: it is cut (bytes). */
const MAX_KEPT_TAIL = 64 * 1024 * 1024;

/** What {@link settleTail} did: `cutBytes` removed, or `completed` (a `\n` appended to a whole last record). */
export interface SettledTail {
  cutBytes: number;
  completed: boolean;
}

/**
 * settleTail makes the report at `path` end with a whole line before it is continued (`run
 * --resume`). A last line without its `\n` is kept, and its `\n` appended, when it is a whole report
 * record (it parses as one: `parseReportLine` in read.ts; our writer writes a line and its `\n` in
 * one write, so a killed writer leaves JSON that does not parse, while a file edited by hand or cut
 * by `head -c` may just have lost its final newline); otherwise it is cut off ({@link trimTornTail}).
 * Nothing already measured is lost. Rejects with the fs error (ENOENT, EACCES...).
 */
export async function settleTail(path: string): Promise<SettledTail> {
  const fh = await open(path, 'r+');
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size === 0) return { cutBytes: 0, completed: false };
    if ((await lastByte(fh, st.size)) === 0x0a) return { cutBytes: 0, completed: false };
    const start = await lastLineStart(fh, st.size);
    if (st.size - start <= MAX_KEPT_TAIL) {
      const buf = Buffer.alloc(st.size - start);
      await fh.read(buf, 0, buf.length, start);
      const text = buf.toString('utf8');
      if (text.trim() !== '' && parseReportLine(text, 1)?.record !== undefined) {
        await fh.write('\n', st.size);
        return { cutBytes: 0, completed: true };
      }
    }
  } finally {
    await fh.close();
  }
  return { cutBytes: await trimTornTail(path), completed: false };
}

/** The byte at `size - 1`. */
async function lastByte(fh: FileHandle, size: number): Promise<number | undefined> {
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, size - 1);
  return b[0];
}

/** The offset just after the last `\n` before `size` (0 when none), reading backwards in chunks. */
async function lastLineStart(fh: FileHandle, size: number): Promise<number> {
  const buf = Buffer.alloc(CHUNK);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}
