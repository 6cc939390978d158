import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dependency, runHerd, startDependency } from '../src/experiments/herd.ts';

let dependency: Dependency;
beforeAll(async () => {
  dependency = await startDependency({ port: 3175, capacityPerWindow: 40 });
});
afterAll(() => dependency?.stop());

describe('thundering herd at recovery', () => {
  const run = (strategy: 'none' | 'full') =>
    runHerd({
      dependency,
      clients: 200,
      outageMs: 3_000,
      backoff: { strategy, baseMs: 5, capMs: 2_000 },
      seed: 1,
    });

  it('without jitter, the herd overruns the recovered dependency (requests shed > 0)', async () => {
    const r = await run('none');
    expect(r.clients.succeeded).toBe(200);
    expect(r.overloadedAfterRecovery).toBeGreaterThan(0);
    expect(r.peakAfterRecovery).toBeGreaterThan(40);
  });

  it('with full jitter, the same 200 clients recover with 0 requests shed', async () => {
    const r = await run('full');
    expect(r.clients.succeeded).toBe(200);
    expect(r.overloadedAfterRecovery).toBe(0);
    expect(r.peakAfterRecovery).toBeLessThanOrEqual(40);
  });
});
