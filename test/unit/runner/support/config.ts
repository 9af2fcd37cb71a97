/** Shared by the runner tests: a small RunConfig (system resolver, 500 ms steps, no control), then `o`. */
import type { RunConfig } from '../../../../src/runner/config.js';

export const testRunConfig = (o: Partial<RunConfig> = {}): RunConfig => ({
  resolver: { kind: 'system' },
  timeouts: { dnsMs: 500, connectMs: 500, tlsMs: 500, httpMs: 500, controlMs: 500 },
  maxBodyBytes: 1024,
  maxRedirects: 2,
  extraCa: [],
  controlUrl: null,
  dohResolvers: [],
  concurrency: 2,
  ...o,
});
