import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'poc-72',
    // Fails at once, naming `pnpm services up …`, when a service in package.json pocs.services is down.
    globalSetup: ['@pocs/infra/test-setup'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
