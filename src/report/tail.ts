/**
 * trimTornTail: before a report is continued (`run --resume`), a last line without its `\n` (the
 * writer was killed mid-line: see writer.ts) is cut off, so the resumed report holds only whole
 * lines and the torn measurement is measured again.
 */
import { open } from 'node:fs/promises';

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
    if (!st.isFile() || st.size === 0) return 0;
    const buf = Buffer.alloc(CHUNK);
    let end = st.size;
    let first = true;
    while (end > 0) {
      const start = Math.max(0, end - CHUNK);
      const { bytesRead } = await fh.read(buf, 0, end - start, start);
      const chunk = buf.subarray(0, bytesRead);
      if (first && chunk[chunk.length - 1] === 0x0a) return 0;
      first = false;
      const nl = chunk.lastIndexOf(0x0a);
      if (nl >= 0) {
        const keep = start + nl + 1;
        await fh.truncate(keep);
        return st.size - keep;
      }
      end = start;
    }
    await fh.truncate(0);
    return st.size;
  } finally {
    await fh.close();
  }
}
