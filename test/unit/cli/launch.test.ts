/**
 * The decisions of the process around the CLI (src/cli/launch.ts): which commands re-run
 * themselves and with which environment, the launcher's exit code after its child, which parent
 * the child watches, and what an error on standard output means. The end-to-end behaviour is in
 * test/e2e (cli.test.ts: `--json | head` exits 4, SIGINT 130; reports.test.ts: `> /dev/full` exits
 * 4, SIGTERM/SIGHUP 143/129; dns-drop.test.ts: the larger pool; launch.test.ts: a listing cut by
 * `head` exits 0, the child stops when the launcher dies).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  childExitCode,
  parentToWatch,
  PARENT_PID_ENV,
  rerunEnvironment,
  RERUN_RES_OPTIONS,
  stdoutErrorAction,
  stdoutCarries,
  isHelpOrVersion,
  watchParent,
} from '../../../src/cli/launch.js';
import { EXIT } from '../../../src/cli/exit-codes.js';

describe('rerunEnvironment', () => {
  const env = { PATH: '/usr/bin', HOME: '/root' };
  it('run and helper re-run with a 128-thread pool, bounded resolver retries and the parent pid', () => {
    for (const cmd of ['run', 'helper']) {
      expect(rerunEnvironment([cmd, 'https://example.org/'], env, false, 4242)).toEqual({
        PATH: '/usr/bin',
        HOME: '/root',
        UV_THREADPOOL_SIZE: '128',
        RES_OPTIONS: RERUN_RES_OPTIONS,
        [PARENT_PID_ENV]: '4242',
      });
    }
    expect(RERUN_RES_OPTIONS).toBe('timeout:2 attempts:2');
  });
  it("keeps the user's RES_OPTIONS", () => {
    expect(rerunEnvironment(['run'], { ...env, RES_OPTIONS: 'timeout:1' }, false, 1)?.['RES_OPTIONS']).toBe('timeout:1');
  });
  it('never re-runs twice, nor when the caller sized the pool', () => {
    expect(rerunEnvironment(['run'], { ...env, UV_THREADPOOL_SIZE: '128' }, false, 1)).toBeNull();
    expect(rerunEnvironment(['run'], { ...env, UV_THREADPOOL_SIZE: '4' }, false, 1)).toBeNull();
  });
  it('the other commands, no command and help run in place', () => {
    for (const args of [['analyze', 'x.jsonl'], ['lab', 'run', 'x'], ['report', 'x'], ['--help'], ['--version'], [], ['-q', 'run']]) {
      expect(rerunEnvironment(args, env, false, 1), args.join(' ')).toBeNull();
    }
  });
  it('a list read from a terminal (-i - on a TTY) runs in place; from a pipe it re-runs', () => {
    expect(rerunEnvironment(['run', '-i', '-'], env, true, 1)).toBeNull();
    expect(rerunEnvironment(['run', '-i', '-'], env, false, 1)).not.toBeNull();
    expect(rerunEnvironment(['run', 'https://example.org/'], env, true, 1)).not.toBeNull();
  });
  it('does not change the environment it was given', () => {
    const mine = { ...env };
    rerunEnvironment(['run'], mine, false, 1);
    expect(mine).toEqual(env);
  });
});

describe('childExitCode', () => {
  it("passes the child's code on", () => {
    for (const c of [0, 1, 2, 4, 5, 129, 130, 143]) expect(childExitCode(c, null)).toBe(c);
  });
  it('a child killed by a signal gives 128 + its number, as a shell reports it', () => {
    expect(childExitCode(null, 'SIGHUP')).toBe(129);
    expect(childExitCode(null, 'SIGINT')).toBe(130);
    expect(childExitCode(null, 'SIGKILL')).toBe(137);
    expect(childExitCode(null, 'SIGTERM')).toBe(143);
  });
  it('neither known: 129', () => {
    expect(childExitCode(null, null)).toBe(129);
  });
});

describe('parentToWatch', () => {
  it('reads the launcher pid; absent or not a positive whole number: none', () => {
    expect(parentToWatch({ [PARENT_PID_ENV]: '1234' })).toBe(1234);
    for (const v of [undefined, '', '0', '-5', 'abc', '1.5']) expect(parentToWatch({ [PARENT_PID_ENV]: v }), String(v)).toBeNull();
  });
});

describe('stdoutErrorAction', () => {
  const fail = (what: string, of: 'report' | 'output') => ({ kind: 'exit', code: EXIT.REPORT_WRITE, message: `censorprobe: ${what}: the ${of} is incomplete\n` });
  it('a closed pipe ends a listing or help quietly (exit 0)', () => {
    for (const args of [['lab', 'list'], ['--help'], ['helper', '--help'], []]) expect(stdoutErrorAction(args, 'EPIPE'), args.join(' ')).toEqual({ kind: 'exit', code: 0 });
  });
  it('help and --version of a data command, help <command>, and run --dry-run are listings too (exit 0 on EPIPE)', () => {
    const listings = [['run', '--help'], ['run', '-h'], ['check', '--help'], ['diff', '-h'], ['report', '--help'], ['control', '--help'], ['analyze', '--help'], ['help', 'run'], ['--version'], ['-V'], ['run', '--dry-run', 'https://a.example/'], ['run', '--json', '--dry-run', '-i', 'x.txt']];
    for (const args of listings) {
      expect(stdoutCarries(args), args.join(' ')).toBe('listing');
      expect(stdoutErrorAction(args, 'EPIPE'), args.join(' ')).toEqual({ kind: 'exit', code: 0 });
    }
    expect(isHelpOrVersion(['lab', 'run', 'x', '--', '--help'])).toBe(false); // after --: the probe's arguments
    expect(stdoutCarries(['run', '--', '--dry-run'])).toBe('console');
  });
  it('a closed pipe on a command whose output is data is an incomplete output (exit 4)', () => {
    expect(stdoutErrorAction(['run', '--json'], 'EPIPE')).toEqual(fail('standard output was closed', 'report'));
    for (const cmd of ['analyze', 'check', 'diff', 'report', 'control']) expect(stdoutErrorAction([cmd, 'x'], 'EPIPE'), cmd).toEqual(fail('standard output was closed', 'output'));
  });
  it('run without --json prints only its console there (the report is a file): any error, EPIPE included, is ignored and the run goes on', () => {
    expect(stdoutCarries(['run', '-o', 'x.jsonl'])).toBe('console');
    expect(stdoutErrorAction(['run', '-o', 'x.jsonl'], 'EPIPE')).toEqual({ kind: 'ignore' });
    expect(stdoutErrorAction(['run', 'https://a.example/'], 'EPIPE')).toEqual({ kind: 'ignore' });
    expect(stdoutErrorAction(['run', '-o', 'x.jsonl'], 'EIO')).toEqual({ kind: 'ignore' });
    expect(stdoutErrorAction(['run'], 'ENOSPC')).toEqual({ kind: 'ignore' });
  });
  it('any other error is a write error (exit 4) naming its code', () => {
    expect(stdoutErrorAction(['run', '--json'], 'ENOSPC')).toEqual(fail('cannot write to standard output (ENOSPC)', 'report'));
    expect(stdoutErrorAction(['lab', 'list'], 'EIO')).toEqual(fail('cannot write to standard output (EIO)', 'output'));
    expect(stdoutErrorAction(['run', '--dry-run'], 'ENOSPC')).toEqual(fail('cannot write to standard output (ENOSPC)', 'output'));
    expect(stdoutErrorAction(['analyze', 'x'], undefined)).toEqual(fail('cannot write to standard output (error)', 'output'));
  });
});

describe('watchParent (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  it('calls onGone once, at the first check after the parent changed', () => {
    vi.useFakeTimers();
    let ppid = 100;
    const onGone = vi.fn();
    watchParent(100, { ppid: () => ppid, onGone, intervalMs: 500 });
    vi.advanceTimersByTime(5000);
    expect(onGone).not.toHaveBeenCalled();
    ppid = 1; // re-parented: the launcher is gone
    vi.advanceTimersByTime(499);
    expect(onGone).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onGone).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5000);
    expect(onGone).toHaveBeenCalledTimes(1);
  });
  it('stops when asked', () => {
    vi.useFakeTimers();
    const onGone = vi.fn();
    const stop = watchParent(100, { ppid: () => 1, onGone, intervalMs: 500 });
    stop();
    vi.advanceTimersByTime(5000);
    expect(onGone).not.toHaveBeenCalled();
  });
});
