import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TARGETS } from '../../../src/targets/default-list.js';
import { loadTargets } from '../../../src/targets/load.js';
import { formatTargetError } from '../../../src/targets/parse.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'censorprobe-targets-'));
  await writeFile(join(dir, 'a.txt'), '# list a\nhttps://a.example/\nhttps://shared.example/\nnot-a-url\n');
  await writeFile(
    join(dir, 'b.csv'),
    'url,category_code,category_description,date_added,source,notes\nhttps://shared.example/,NEWS,News Media,2020-01-01,x,\nhttps://b.example/,HUMR,Human Rights Issues,2020-01-01,x,\n',
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadTargets', () => {
  it('returns the built-in default list when no URL and no file is given', async () => {
    const result = await loadTargets({ urls: [], inputFiles: [] });
    expect(result.errors).toEqual([]);
    expect(result.targets).toEqual([...DEFAULT_TARGETS]);
    expect(result.targets.every((t) => t.source === 'default')).toBe(true);
  });

  it('takes argv URLs first, then files in order, de-duplicated across all sources (first wins)', async () => {
    const result = await loadTargets({
      urls: ['HTTPS://SHARED.EXAMPLE', 'https://argv.example/', 'ftp://x.example/'],
      inputFiles: [join(dir, 'a.txt'), join(dir, 'b.csv')],
    });
    expect(result.targets).toEqual([
      { url: 'https://shared.example/', category_code: null, source: 'argv' },
      { url: 'https://argv.example/', category_code: null, source: 'argv' },
      { url: 'https://a.example/', category_code: null, source: `${join(dir, 'a.txt')}:2` },
      { url: 'https://b.example/', category_code: 'HUMR', source: `${join(dir, 'b.csv')}:3` },
    ]);
    expect(result.errors.map(formatTargetError)).toEqual([
      "argv:3: unsupported scheme 'ftp:' (only http and https)",
      `${join(dir, 'a.txt')}:4: missing scheme (write http://example.com/ or https://example.com/)`,
    ]);
  });

  it('reads - from the injected standard input, once, under the source name stdin', async () => {
    let calls = 0;
    const readStdin = async (): Promise<string> => {
      calls++;
      return 'https://stdin.example/\nbad\n';
    };
    const result = await loadTargets({ urls: [], inputFiles: ['-', '-'], readStdin });
    expect(calls).toBe(1);
    expect(result.targets).toEqual([{ url: 'https://stdin.example/', category_code: null, source: 'stdin:1' }]);
    expect(result.errors.map(formatTargetError)).toEqual([
      'stdin:2: missing scheme (write http://example.com/ or https://example.com/)',
    ]);
  });

  it('reports an unreadable file as FILE: cannot read (CODE) and goes on with the other sources', async () => {
    const missing = join(dir, 'missing.txt');
    const result = await loadTargets({ urls: ['https://argv.example/'], inputFiles: [missing, dir, join(dir, 'a.txt')] });
    expect(result.errors.map(formatTargetError)).toEqual([
      `${missing}: cannot read (ENOENT)`,
      `${dir}: cannot read (EISDIR)`,
      `${join(dir, 'a.txt')}:4: missing scheme (write http://example.com/ or https://example.com/)`,
    ]);
    expect(result.targets.map((t) => t.url)).toEqual(['https://argv.example/', 'https://a.example/', 'https://shared.example/']);
  });

  it('reports a binary file (a NUL byte) as one error, not a line-by-line parse', async () => {
    const bin = join(dir, 'image.bin');
    await writeFile(bin, Buffer.from([0x68, 0x0a, 0x0a, 0x89, 0x50, 0x00, 0x4e, 0x0a, 0xff]));
    const result = await loadTargets({ urls: [], inputFiles: [bin, join(dir, 'b.csv')] });
    expect(result.errors.map(formatTargetError)).toEqual([`${bin}: not a text file (a NUL byte on line 3)`]);
    expect(result.targets.map((t) => t.url)).toEqual(['https://shared.example/', 'https://b.example/']);
  });

  it('reads a pipe (`-i <(cmd)`) once and whole, past its first 64 KiB', async () => {
    const fifo = join(dir, 'list.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const urls = Array.from({ length: 3000 }, (_, i) => `https://site${i}.example/`);
    const writing = writeFile(fifo, `${urls.join('\n')}\n`); // blocks until read, then streams
    const result = await loadTargets({ urls: [], inputFiles: [fifo] });
    await writing;
    expect(result.errors).toEqual([]);
    expect(result.targets.map((t) => t.url)).toEqual(urls);
  });

  it('says UTF-16 (with or without a byte-order mark) needs saving as UTF-8, and refuses /dev/zero without reading it all', async () => {
    const withBom = join(dir, 'utf16-bom.txt');
    const noBom = join(dir, 'utf16.txt');
    await writeFile(withBom, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('https://a.example/\n', 'utf16le')]));
    await writeFile(noBom, Buffer.from('https://a.example/\n', 'utf16le'));
    const result = await loadTargets({ urls: [], inputFiles: [withBom, noBom, '/dev/zero'] });
    expect(result.errors.map(formatTargetError)).toEqual([
      `${withBom}: not a UTF-8 text file (UTF-16: save it as UTF-8)`,
      `${noBom}: not a UTF-8 text file (UTF-16: save it as UTF-8)`,
      '/dev/zero: not a text file (a NUL byte on line 1)',
    ]);
  });

  it('reports - without an injected standard input, and a failing standard input, as errors', async () => {
    const none = await loadTargets({ urls: [], inputFiles: ['-'] });
    expect(none.errors.map(formatTargetError)).toEqual(['stdin: cannot read (no standard input available)']);
    const failing = await loadTargets({
      urls: [],
      inputFiles: ['-'],
      readStdin: () => Promise.reject(Object.assign(new Error('boom'), { code: 'EIO' })),
    });
    expect(failing.errors.map(formatTargetError)).toEqual(['stdin: cannot read (EIO)']);
  });

  it('does not fall back to the default list when a given file is empty', async () => {
    await writeFile(join(dir, 'empty.txt'), '');
    expect(await loadTargets({ urls: [], inputFiles: [join(dir, 'empty.txt')] })).toEqual({ targets: [], errors: [] });
  });
});
