import { availableParallelism } from 'node:os';

/**
 * How a package's test files are scheduled in the repo-wide run. By default (group 0) they run
 * one at a time, alone on the machine: load and fault tests
 * measure time and restart shared services. A package whose tests are independent (unique
 * topic, key and table names; servers on port 0; no timing assertions; no service restarts)
 * spreads `parallelTests()` into its vitest `test` config: its files then run side by side
 * with the other opted-in packages' files (group 1, after group 0), as many at once as the
 * machine has cores.
 */
export const parallelTests = () =>
  ({
    maxWorkers: availableParallelism(),
    // Vitest runs groups in order; within one group every project needs the same maxWorkers.
    sequence: { groupOrder: 1 },
  }) as const;
