import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The herd tests share port 3175 and the two cores: one file at a time.
  test: {
    name: 'poc-75',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    fileParallelism: false,
  },
});
