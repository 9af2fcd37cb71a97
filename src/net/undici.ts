/**
 * The two undici classes we use, `Client` (net/http.ts: one request over our own socket) and
 * `Agent` (net/http-post.ts: the helper client), loaded from their own modules instead of undici's
 * index. The index also loads fetch, WebSocket, EventSource, the cache, the mock and proxy agents:
 * about 0.08 s of CPU at every start of `run` that we never use (`npm run bench`, start-up). The
 * classes and their types are undici's own (pinned ~7.30.2 in package.json);
 * test/unit/net/undici.test.ts checks that they are the very classes undici's index exports. The
 * index also adds `request`, `stream`, `pipeline`, `connect` and `upgrade` to their prototype; we
 * use `dispatch`, `close` and `destroy` only (the same test checks those without the index).
 */
import { createRequire } from 'node:module';
import type * as undici from 'undici';

const require = createRequire(import.meta.url);

/** undici's `Client` (lib/dispatcher/client.js). */
export const Client = require('undici/lib/dispatcher/client.js') as typeof undici.Client;
export type Client = undici.Client;
/** undici's `Agent` (lib/dispatcher/agent.js). */
export const Agent = require('undici/lib/dispatcher/agent.js') as typeof undici.Agent;
export type Agent = undici.Agent;
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace Agent {
  type Options = undici.Agent.Options;
}
export type { Dispatcher } from 'undici';
