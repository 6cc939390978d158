import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'poc-47',
    include: ['test/**/*.test.ts'],
    // Consumers burn CPU on purpose; files running side by side on 2 cores would skew
    // the heartbeat timing the tests assert on.
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
