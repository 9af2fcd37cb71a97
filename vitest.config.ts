import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Lab and end-to-end tests build network namespaces and run real timeouts.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Lab files mostly wait on real timeouts in their own network namespaces (independent labs):
    // run four files at once even on a 2-core machine, so the suite stays well under CI's budget.
    maxWorkers: 4,
    reporters: ['default'],
    // Every CLI the tests start consents to measuring (test/e2e/volunteer.test.ts unsets it to test the question).
    env: { CENSORPROBE_YES: '1' },
  },
});
