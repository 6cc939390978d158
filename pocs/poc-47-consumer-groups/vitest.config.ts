import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'poc-47',
    // Fails at once, naming `pnpm services up …`, when a service in package.json pocs.services is down.
    globalSetup: ['@pocs/infra/test-setup'],
    include: ['test/**/*.test.ts'],
    // Consumers burn CPU on purpose; files running side by side on 2 cores would skew
    // the heartbeat timing the tests assert on.
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
