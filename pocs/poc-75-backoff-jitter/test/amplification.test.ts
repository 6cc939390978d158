import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dependency, runAmplification, startDependency } from '../src/experiments/herd.ts';

let dependency: Dependency;
beforeAll(async () => {
  dependency = await startDependency({ port: 3175, capacityPerWindow: 1_000 });
});
afterAll(() => dependency?.stop());

const run = (withBudget: boolean) =>
  runAmplification({
    dependency,
    clients: 200,
    maxAttempts: 4,
    withBudget,
    backoff: { strategy: 'full', baseMs: 5, capMs: 50 },
    seed: 1,
  });

describe('load amplification at 100% failure', () => {
  it('3 plain retries multiply the load on a dead dependency by 4', async () => {
    const r = await run(false);
    expect(r.calls).toBe(800);
    expect(r.amplification).toBe(4);
    expect(r.gaveUp).toEqual({ attempts: 200 });
  });

  it('a retry budget (0.1 per success, 10 tokens) holds it to 1.05×: only the 10 tokens are spent', async () => {
    const r = await run(true);
    expect(r.calls).toBe(210);
    expect(r.amplification).toBeLessThanOrEqual(1.2);
    expect(r.gaveUp).toEqual({ budget: 200 });
  });
});
