import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'shared',
    // Fails at once, naming `pnpm services up …`, when a service in package.json pocs.services
    // is down (resolved through the repo root's devDependency: shared must not depend on infra).
    globalSetup: ['@pocs/infra/test-setup'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
