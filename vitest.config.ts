import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Lab and end-to-end tests build network namespaces and run real timeouts.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
    // Every CLI the tests start consents to measuring (test/e2e/consent.test.ts unsets it to test the question).
    env: { CENSORPROBE_YES: '1' },
  },
});
