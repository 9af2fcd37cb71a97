/** Which host a hop is about (src/classify/hops.ts hopTarget): the control's per-hop result must be about the same one. */
import { describe, expect, it } from 'vitest';
import type { Observations } from '../../../src/model/index.js';
import { hopTarget } from '../../../src/classify/hops.js';

const obs = (o: Partial<Observations>): Observations => ({ queries: [], tcp_connect: [], tls_handshakes: [], requests: [], network_events: [], ...o }) as unknown as Observations;

describe('hopTarget', () => {
  it('a hop with neither request nor lookup takes its host from the redirect that led to it, not from the input', () => {
    const redirect = { depth: 0, transaction_id: 1, request: { url: 'http://site.example/' }, response: { code: 302, headers: { Location: 'http://5.61.23.77/block' } } };
    expect(hopTarget(obs({ requests: [redirect] as never }), 'http://site.example/', 1)).toEqual({ url: '', host: '5.61.23.77' });
    expect(hopTarget(obs({ x_redirects: [{ depth: 0, kind: 'meta_refresh', from: 'http://site.example/', to: 'http://blocked.example/' }] } as never), 'http://site.example/', 1)).toEqual({ url: '', host: 'blocked.example' });
    expect(hopTarget(obs({}), 'http://site.example/', 0)).toEqual({ url: 'http://site.example/', host: 'site.example' });
  });
});
