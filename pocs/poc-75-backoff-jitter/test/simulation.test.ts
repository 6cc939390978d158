import { backoffStrategies } from '@pocs/shared/backoff';
import { describe, expect, it } from 'vitest';
import { simulateContention } from '../src/simulation.ts';

// Brooker's settings: base 5 ms, cap 2 s; a read-to-write window of 10 ms.
const run = (clients: number, strategy: (typeof backoffStrategies)[number], seed = 1) =>
  simulateContention({ clients, backoff: { strategy, baseMs: 5, capMs: 2_000 }, callMs: 10, seed });

describe('seeded contention simulation', () => {
  it('reproduces the exact calls and completion times for seed 1 at 50 clients', () => {
    const results = backoffStrategies.map((s) => run(50, s));
    expect(results.map((r) => [r.strategy, r.calls, r.completionMs])).toEqual([
      ['none', 1275, 83055],
      ['full', 358, 1329],
      ['equal', 360, 2265],
      ['decorrelated', 380, 1262],
    ]);
  });

  it('without jitter, clients stay in lockstep: one winner per round, N(N+1)/2 calls', () => {
    for (const clients of [1, 2, 10, 25, 50]) {
      expect(run(clients, 'none').calls).toBe((clients * (clients + 1)) / 2);
    }
  });

  it('full jitter makes ≤ 50% of the calls of un-jittered exponential at 50 clients, for any seed', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      expect(run(50, 'full', seed).calls).toBeLessThanOrEqual(0.5 * run(50, 'none', seed).calls);
    }
  });

  it('every client writes exactly once: a single client makes one call', () => {
    for (const s of backoffStrategies)
      expect(run(1, s)).toMatchObject({ calls: 1, completionMs: 10 });
  });
});
