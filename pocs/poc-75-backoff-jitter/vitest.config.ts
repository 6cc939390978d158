import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The herd tests share port 3175 and the two cores: one file at a time.
  test: {
    name: 'poc-75',
    // Fails at once, naming `pnpm services up …`, when a service in package.json pocs.services is down.
    globalSetup: ['@pocs/infra/test-setup'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    fileParallelism: false,
  },
});
