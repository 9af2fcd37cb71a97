/**
 * http-responder: a minimal HTTP/1.1 server loop over a raw (TCP or TLS) socket, so the lab's web
 * servers send exactly the headers docs/lab.md lists (node:http would add Connection/Keep-Alive).
 * Requests are handled one at a time; bodies are either fixed (with Content-Length) or streamed
 * chunked.
 */
import type { Duplex, Readable } from 'node:stream';
import { parseRequestHead, type RequestHead } from './http-head.js';

/** LabRequest: a request as a lab server sees it. */
export interface LabRequest extends RequestHead {
  /** The TCP peer address (the probe's veth address, or a world address for the helper/middlebox). */
  remoteAddress: string;
}

/** LabResponse: what a lab server answers. Headers are written in the given order, as given. */
export interface LabResponse {
  status: number;
  headers: [string, string][];
  /** A fixed body (Content-Length is NOT added automatically), or a stream sent chunked. Optional: empty. */
  body?: Buffer | (() => Readable);
}

/** SyncLabHandler: maps a request to a response right away (every server but the ISP proxy). */
export type SyncLabHandler = (req: LabRequest) => LabResponse;

/** LabHandler: maps a request to a response (or a promise of one, e.g. the ISP proxy). */
export type LabHandler = (req: LabRequest) => LabResponse | Promise<LabResponse>;

const REASONS: Record<number, string> = {
  200: 'OK',
  302: 'Found',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  404: 'Not Found',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

function headBytes(res: LabResponse, chunked: boolean): Buffer {
  const lines = [`HTTP/1.1 ${res.status} ${REASONS[res.status] ?? 'Status'}`];
  for (const [k, v] of res.headers) lines.push(`${k}: ${v}`);
  if (chunked) lines.push('Transfer-Encoding: chunked');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

function contentLengthOf(head: RequestHead): number {
  const v = head.headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1];
  const n = v === undefined ? 0 : Number(v);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function wantsClose(head: RequestHead): boolean {
  const conn = head.headers.find(([k]) => k.toLowerCase() === 'connection')?.[1]?.toLowerCase();
  return conn === 'close' || (head.version === 'HTTP/1.0' && conn !== 'keep-alive');
}

function writeResponse(socket: Duplex, res: LabResponse, done: () => void): void {
  if (socket.destroyed) return;
  const body = res.body;
  if (body === undefined || Buffer.isBuffer(body)) {
    socket.write(body ? Buffer.concat([headBytes(res, false), body]) : headBytes(res, false));
    done();
    return;
  }
  socket.write(headBytes(res, true));
  const stream = body();
  stream.on('data', (chunk: Buffer) => {
    const ok = socket.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    if (!ok) {
      stream.pause();
      socket.once('drain', () => stream.resume());
    }
  });
  stream.on('end', () => {
    socket.write('0\r\n\r\n');
    done();
  });
  stream.on('error', () => socket.destroy());
  socket.once('close', () => stream.destroy());
}

/**
 * serveHttp runs the request loop on `socket` until the peer closes, a request is malformed (400
 * then close) or asks to close. Never throws; socket errors just end the loop.
 */
export function serveHttp(socket: Duplex, remoteAddress: string, handler: LabHandler): void {
  let buf = Buffer.alloc(0);
  let busy = false;
  socket.on('error', () => undefined);

  const pump = (): void => {
    if (busy) return;
    const head = parseRequestHead(buf);
    if (head === null) return;
    if (head === 'invalid') {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const need = head.headBytes + contentLengthOf(head);
    if (buf.length < need) return;
    buf = buf.subarray(need);
    busy = true;
    const close = wantsClose(head);
    const done = (): void => {
      busy = false;
      if (close) socket.end();
      else pump();
    };
    Promise.resolve(handler({ ...head, remoteAddress }))
      .catch((): LabResponse => ({ status: 502, headers: [['Content-Length', '0']] }))
      .then((res) => writeResponse(socket, res, done));
  };

  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    pump();
  });
}
