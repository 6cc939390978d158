import { parallelTests } from '@pocs/infra/test-workers';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'kafka-adapter',
    // Fails at once, naming `pnpm services up …`, when the broker or toxiproxy is down.
    globalSetup: ['@pocs/infra/test-setup'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Unique topic and proxy names, no timing assertions, no broker restarts.
    ...parallelTests(),
  },
});
