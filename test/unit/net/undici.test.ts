import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Agent, Client } from '../../../src/net/undici.js';

// src/net/undici.ts loads undici's Client and Agent from their own modules (not the index, which
// loads much that we never use): they must be the very classes the index exports, so that an
// undici upgrade that moves them fails here, not in the field.
describe('undici classes (src/net/undici.ts)', () => {
  const index = createRequire(import.meta.url)('undici') as typeof import('undici');
  it('are the classes undici exports', () => {
    expect(Client).toBe(index.Client);
    expect(Agent).toBe(index.Agent);
  });

  it('dispatch, close and destroy work without undici\'s index (which adds request/stream/pipeline: we never use them)', () => {
    const code = "import('./src/net/undici.ts').then((m) => console.log(['dispatch', 'close', 'destroy'].map((k) => typeof m.Client.prototype[k] + '/' + typeof m.Agent.prototype[k]).join(' ')))";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', cwd: new URL('../../../', import.meta.url).pathname });
    expect(r.stdout.trim(), r.stderr).toBe('function/function function/function function/function');
  });
});
