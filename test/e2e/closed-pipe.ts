/**
 * closedPipe: a write-only descriptor of a FIFO (made in `dir`) whose reader is already closed, so
 * every write fails with EPIPE: the standard output of a command whose reader went away. Shared by
 * the e2e tests of a closed standard output.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import path from 'node:path';

/** Returns the writer's descriptor (the caller closes it); throws when mkfifo fails. */
export function closedPipe(dir: string): number {
  const fifo = path.join(dir, `fifo-${Math.random().toString(36).slice(2)}`);
  if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error(`mkfifo ${fifo} failed`);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  closeSync(reader);
  return writer;
}
