import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'poc-49',
    // Fails at once, naming `pnpm services up …`, when a service in package.json pocs.services is down.
    globalSetup: ['@pocs/infra/test-setup'],
    include: ['test/**/*.test.ts'],
    // The files share one Kafka cluster and the copier's fixed test port, and the kill runs
    // want both cores: one file at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
