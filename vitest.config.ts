import { defineConfig } from 'vitest/config';

// One run for the whole repo: every package is a project with its own config,
// and the repo-level contract tests live in test/.
export default defineConfig({
  test: {
    projects: [
      'shared',
      'infra',
      'pocs/*',
      { test: { name: 'repo', include: ['test/**/*.test.ts'], testTimeout: 60_000 } },
    ],
  },
});
