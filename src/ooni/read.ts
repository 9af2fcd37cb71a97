/**
 * Reading OONI measurements from files: a single JSON object (as `measurement.json` or the OONI
 * API's `/api/v1/raw_measurement` returns it, possibly pretty-printed), a JSON array of them, or
 * JSONL as OONI publishes them (one measurement a line; streamed, never read whole), and finding
 * such files under a directory.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** One measurement read from a file: `where` is `FILE` or `FILE:LINE`; exactly one of `measurement`, `error`. */
export interface OoniFileEntry {
  where: string;
  measurement?: unknown;
  error?: string;
}

/** True when the file's first non-blank line is a complete JSON value (then the file is JSONL). */
async function looksLikeJsonl(path: string): Promise<boolean> {
  if (path.endsWith('.jsonl')) return true;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead).toString('utf8');
    const first = head.split('\n').find((l) => l.trim() !== '');
    if (first === undefined || !head.includes('\n')) return false;
    try {
      JSON.parse(first);
      return first.trim().startsWith('{');
    } catch {
      return false;
    }
  } finally {
    await fh.close();
  }
}

/**
 * readOoniFile yields the measurements of one file (JSON object, JSON array, or JSONL; see the
 * module comment). Bad JSON becomes an `{where, error}` entry, never a throw; the iteration
 * rejects only when the file cannot be opened or read (ENOENT, EISDIR, ...).
 */
export async function* readOoniFile(path: string): AsyncGenerator<OoniFileEntry, void, undefined> {
  if (await looksLikeJsonl(path)) {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    let n = 0;
    for await (const text of lines) {
      n++;
      if (text.trim() === '') continue;
      try {
        yield { where: `${path}:${n}`, measurement: JSON.parse(text) as unknown };
      } catch (e) {
        yield { where: `${path}:${n}`, error: `bad JSON (${e instanceof Error ? e.message : String(e)})` };
      }
    }
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== undefined) throw e;
    yield { where: path, error: `bad JSON (${e instanceof Error ? e.message : String(e)})` };
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield { where: `${path}[${i}]`, measurement: value[i] };
    return;
  }
  yield { where: path, measurement: value };
}

/**
 * findOoniFiles returns `path` itself when it is a file, else every `*.json` and `*.jsonl` file
 * under it (recursively, sorted by path). Rejects when `path` does not exist.
 */
export async function findOoniFiles(path: string): Promise<string[]> {
  const st = await stat(path);
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.jsonl?$/.test(e.name)) out.push(p);
    }
  };
  await walk(path);
  return out;
}
