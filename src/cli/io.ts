import type { HandledSignal } from './exit-codes.js';

/**
 * The CLI's seam to the process: streams, environment, working directory and signals. Only
 * src/cli touches `process`; tests pass their own {@link Io}.
 */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Subscribes to SIGINT, SIGTERM and SIGHUP; returns an unsubscribe function. */
  onSignal(handler: (signal: HandledSignal) => void): () => void;
}

/** The real process. */
export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    onSignal(handler) {
      const subs = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
        const fn = (): void => handler(sig);
        process.on(sig, fn);
        return () => void process.off(sig, fn);
      });
      return () => {
        for (const off of subs) off();
      };
    },
  };
}

/** Reads a whole readable stream as UTF-8. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
