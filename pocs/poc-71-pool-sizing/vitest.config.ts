import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'poc-71', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
