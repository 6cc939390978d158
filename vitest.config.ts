import { parallelTests } from '@pocs/infra/test-workers';
import { defineConfig } from 'vitest/config';

// One run for the whole repo: every package is a project with its own config,
// and the repo-level contract tests live in test/.
export default defineConfig({
  test: {
    // Load and fault tests share one Postgres and two cores: one file at a time keeps
    // their numbers honest and the suite deterministic. Packages that opt in with
    // parallelTests() (@pocs/infra/test-workers) run after them, side by side.
    maxWorkers: 1,
    projects: [
      'shared',
      'infra',
      'adapters/*',
      'pocs/*',
      {
        // Scratch folders and ports of their own, no timing assertions: beside other files.
        test: {
          name: 'repo',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          ...parallelTests(),
        },
      },
    ],
  },
});
