import { describe, expect, it } from 'vitest';
import { maxServedBeforeTimeout, planBurst, planFleet } from '../src/experiments/burst-math.ts';

describe('burst arithmetic', () => {
  it('lets a connection start ⌊T/H⌋ + 1 requests before the acquire timeout', () => {
    expect(maxServedBeforeTimeout({ poolSize: 1, holdFloorMs: 200, acquireTimeoutMs: 2_000 })).toBe(
      11,
    );
    expect(maxServedBeforeTimeout({ poolSize: 4, holdFloorMs: 200, acquireTimeoutMs: 2_000 })).toBe(
      44,
    );
    expect(maxServedBeforeTimeout({ poolSize: 1, holdFloorMs: 300, acquireTimeoutMs: 2_000 })).toBe(
      7,
    );
  });

  it('plans the break defaults with 2× margins: pool 4 fits 20 requests, pool 1 cannot', () => {
    const plan = { requests: 20, holdFloorMs: 200, acquireTimeoutMs: 2_000 };
    expect(planBurst({ ...plan, poolSize: 4 })).toEqual({
      capacity: 44,
      lastAcquireMs: 800,
      fits: true,
      shortfall: 0,
      headroom: 2.5,
    });
    expect(planBurst({ ...plan, poolSize: 1 })).toMatchObject({
      capacity: 11,
      lastAcquireMs: 3_800,
      fits: false,
      shortfall: 9,
    });
  });

  it('has no timeout to fear when every request gets its own connection', () => {
    const plan = planBurst({
      requests: 16,
      poolSize: 16,
      holdFloorMs: 50,
      acquireTimeoutMs: 2_000,
    });
    expect(plan.lastAcquireMs).toBe(0);
    expect(plan.headroom).toBeNull();
  });

  it('counts a fleet against its connection budget', () => {
    expect(planFleet({ instances: 2, poolSize: 4, connectionLimit: 16 })).toEqual({
      wanted: 8,
      fits: true,
      over: 0,
    });
    expect(planFleet({ instances: 2, poolSize: 16, connectionLimit: 16 })).toEqual({
      wanted: 32,
      fits: false,
      over: 16,
    });
  });
});
