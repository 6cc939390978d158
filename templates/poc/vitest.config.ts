import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'poc-__NN__', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
