/**
 * postJson over kept-alive connections: a request that meets a connection the server has just
 * closed is sent once more on a new connection; a path that resets every connection still fails.
 * Loopback servers only; the servers decide per request, so no timing matters.
 */
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson } from '../../../src/net/http-post.js';
import { startTcpServer, type Running } from './support/servers.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

const ANSWER = '{"ok":true}';
const RESPONSE = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${ANSWER.length}\r\nkeep-alive: timeout=60\r\n\r\n${ANSWER}`;

/**
 * A raw HTTP server: each complete request (a POST whose body is `{}`) is passed to `decide` with
 * the connection's number (0, 1, ...) and the request's number on that connection; `answer`
 * writes the keep-alive response, `reset` resets the connection without answering.
 */
async function serve(decide: (conn: number, request: number) => 'answer' | 'reset'): Promise<Running & { connections: () => number; log: [number, number, string][] }> {
  let connections = 0;
  const log: [number, number, string][] = [];
  const srv = await startTcpServer((socket: net.Socket) => {
    const conn = connections++;
    let requests = 0;
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n{}')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n{}') + 6);
        const what = decide(conn, requests);
        log.push([conn, requests++, what]);
        if (what === 'answer') socket.write(RESPONSE);
        else socket.resetAndDestroy();
      }
    });
  });
  running.push(srv);
  return { ...srv, connections: () => connections, log };
}

describe('postJson', () => {
  it('reuses a kept-alive connection, and sends a request once more on a new connection when the kept one was closed', async () => {
    // Connection 0 answers its first request, then resets (a server closing its idle connection
    // as the next request arrives); connection 1 answers.
    const srv = await serve((conn, request) => (conn === 0 && request > 0 ? 'reset' : 'answer'));
    const url = `http://127.0.0.1:${srv.port}/`;
    const opts = { timeoutMs: 5000, maxResponseBytes: 1024 };
    expect(await postJson(url, '{}', opts)).toEqual({ status: 200, text: ANSWER });
    // undici makes an idle connection available again after one pass of the event loop's check phase.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await postJson(url, '{}', opts)).toEqual({ status: 200, text: ANSWER });
    expect(srv.log).toEqual([
      [0, 0, 'answer'],
      [0, 1, 'reset'],
      [1, 0, 'answer'],
    ]);
  });

  it('rejects an answer larger than the cap, and stops at the signal without a retry', async () => {
    const srv = await serve(() => 'answer');
    await expect(postJson(`http://127.0.0.1:${srv.port}/`, '{}', { timeoutMs: 5000, maxResponseBytes: 4 })).rejects.toThrow('answer larger than 4 bytes');
    const stop = new AbortController();
    stop.abort(new Error('stopped by the user'));
    await expect(postJson(`http://127.0.0.1:${srv.port}/`, '{}', { timeoutMs: 5000, maxResponseBytes: 1024, signal: stop.signal })).rejects.toThrow('stopped by the user');
    expect(srv.log).toEqual([[0, 0, 'answer']]);
  });

  it('fails with the reset when the new connection is reset too', async () => {
    const srv = await serve(() => 'reset');
    await expect(postJson(`http://127.0.0.1:${srv.port}/x`, '{}', { timeoutMs: 5000, maxResponseBytes: 1024 })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(srv.log).toEqual([
      [0, 0, 'reset'],
      [1, 0, 'reset'],
    ]);
  });
});
