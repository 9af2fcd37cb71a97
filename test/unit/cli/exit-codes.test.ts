/**
 * The exit-code table (src/cli/exit-codes.ts) against what users read: each command's `--help`
 * lists exactly the codes that command can return (the expectation below is written from the
 * commands' behaviour, not copied from the table), the shared meanings are the ones promised, and
 * docs/report-format.md ("commands" column) and README.md ("Exit codes") say the same.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/io.js';
import { ALL_EXIT_CODES, EXIT, EXIT_CODES_BY_COMMAND, exitCodeHelp } from '../../../src/cli/exit-codes.js';

const read = (f: string): string => readFileSync(fileURLToPath(new URL(`../../../${f}`, import.meta.url)), 'utf8');
const SIGNALS = [129, 130, 143];

/**
 * What each command can return, and why:
 * - every command: 0, 1 (a bug), 2 (bad arguments, caught by commander or the command);
 * - 129/130/143: a signal stops every command but the helper (run, analyze and lab catch it and keep
 *   whole lines; the offline commands are stopped by it and the shell reports 128 + N);
 * - helper: SIGINT/SIGTERM/SIGHUP stop the server cleanly: 0;
 * - 3: run (the --control helper cannot be reached), lab (cannot be built);
 * - 4: a report/output write error, or standard output closed where it carries data: every command
 *   but the helper;
 * - 5: a locked report: the commands that write one (run, analyze --from-ooni, lab run, control);
 * - 6: check (a verdict differs), diff --exit-code (something changed), lab run (not what the scenario expects).
 */
const EXPECTED: Record<string, number[]> = {
  run: [0, 1, 2, 3, 4, 5, ...SIGNALS],
  analyze: [0, 1, 2, 4, 5, ...SIGNALS],
  helper: [0, 1, 2],
  lab: [0, 1, 2, 3, 4, 5, 6, ...SIGNALS],
  check: [0, 1, 2, 4, 6, ...SIGNALS],
  diff: [0, 1, 2, 4, 6, ...SIGNALS],
  report: [0, 1, 2, 4, ...SIGNALS],
  control: [0, 1, 2, 4, 5, ...SIGNALS],
};

/** `censorprobe ...args` in process: exit code and standard output. */
async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const io: Io = { stdout: out, stderr: new PassThrough(), stdin: new PassThrough(), env: { NO_COLOR: '1' }, cwd: process.cwd(), onSignal: () => () => undefined };
  const code = await main(args, io);
  return { code, stdout: Buffer.concat(chunks).toString('utf8') };
}

/** The codes of the `Exit codes:` section of a help text. */
function helpCodes(help: string): number[] {
  const section = help.slice(help.indexOf('Exit codes:'));
  expect(section, 'an Exit codes: section').not.toBe('');
  return [...section.matchAll(/^ +(\d+) {2}\S/gm)].map((m) => Number(m[1]));
}

describe('each command --help lists exactly the codes it can return', () => {
  it('the table covers exactly the commands', () => {
    expect(Object.keys(EXIT_CODES_BY_COMMAND).sort()).toEqual(Object.keys(EXPECTED).sort());
  });
  for (const [cmd, codes] of Object.entries(EXPECTED)) {
    it(cmd, async () => {
      const r = await cli([cmd, '--help']);
      expect(r.code).toBe(EXIT.OK);
      expect(helpCodes(r.stdout)).toEqual(codes);
    });
  }
  it('the top-level help lists every code', async () => {
    const r = await cli(['--help']);
    expect(helpCodes(r.stdout)).toEqual([...ALL_EXIT_CODES]);
  });
});

describe('the meanings', () => {
  it('6: diff --exit-code also counts a target in one report only', () => {
    expect(exitCodeHelp()).toMatch(/^ +6 {2}check: .*; diff --exit-code: a verdict changed or a target is in one report only; lab run: .*$/m);
  });
  it('3: the lab and the --control helper, as run --help says', () => {
    expect(exitCodeHelp()).toMatch(/^ +3 {2}.*the lab cannot be built here.*the --control helper cannot be reached/m);
    expect(exitCodeHelp('run')).toMatch(/^ +3 {2}the --control helper cannot be reached/m);
  });
  it('0: the helper stopping on a signal is done', () => {
    expect(exitCodeHelp('helper')).toMatch(/^ +0 {2}the helper stopped: SIGINT, SIGTERM or SIGHUP/m);
    expect(exitCodeHelp()).toMatch(/^ +0 {2}done \(whatever the verdicts\); helper: stopped by SIGINT, SIGTERM or SIGHUP/m);
  });
});

describe('the docs restate the table', () => {
  it('docs/report-format.md: one row per code; its "commands" column is each code\'s commands', () => {
    const doc = read('docs/report-format.md');
    const section = doc.slice(doc.indexOf('## Exit codes'));
    const rows = new Map([...section.matchAll(/^\| (\d+) \| (.*) \| ([^|]*) \|$/gm)].map((m) => [Number(m[1]), { meaning: m[2] as string, commands: (m[3] as string).trim() }]));
    expect([...rows.keys()]).toEqual([...ALL_EXIT_CODES]);
    const all = Object.keys(EXPECTED);
    for (const code of ALL_EXIT_CODES) {
      const listed = rows.get(code)?.commands ?? '';
      const named = listed === 'all' ? all : listed === 'all but helper' ? all.filter((c) => c !== 'helper') : listed.split(',').map((c) => c.trim());
      const actual = all.filter((c) => (EXPECTED[c] as number[]).includes(code));
      expect(named.sort(), `code ${code}`).toEqual(actual.sort());
    }
    expect(rows.get(0)?.meaning).toMatch(/`helper`: stopped by SIGINT, SIGTERM or SIGHUP/);
    expect(rows.get(6)?.meaning).toMatch(/a target is in one report only/);
  });
  it('README.md: one row per code (signals together), the same words for 0, 3 and 6, and nowhere "every command" for the helper\'s 0', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('Exit codes ('));
    const rows = new Map([...section.matchAll(/^\| ([\d, ]+) \| (.*) \|$/gm)].map((m) => [m[1] as string, m[2] as string]));
    expect([...rows.keys()]).toEqual(['0', '1', '2', '3', '4', '5', '6', '129, 130, 143']);
    expect(rows.get('0')).toMatch(/`helper`: stopped by SIGINT, SIGTERM or SIGHUP/);
    expect(rows.get('3')).toMatch(/the lab cannot be built here.*`--control` helper cannot be reached/);
    expect(rows.get('6')).toMatch(/`diff --exit-code`: a verdict changed or a target is in one report only/);
  });
});
