import { describe, expect, it } from 'vitest';
import { createAdaptiveLimit, vegasNextLimit } from '../src/adaptive-limit.ts';

describe('vegasNextLimit', () => {
  it('grows by one while latency stays at the no-load minimum', () => {
    expect(vegasNextLimit(4, { rttMs: 100, minRttMs: 100 })).toBe(5);
  });

  it('holds between alpha and beta requests estimated in the queue', () => {
    // 8 × (1 − 100/200) = 4 queued: between 3 and 6.
    expect(vegasNextLimit(8, { rttMs: 200, minRttMs: 100 })).toBe(8);
  });

  it('shrinks by one once more than beta requests are estimated to be queued', () => {
    // 10 × (1 − 100/400) = 7.5 queued > 6.
    expect(vegasNextLimit(10, { rttMs: 400, minRttMs: 100 })).toBe(9);
  });

  it('stays within its bounds', () => {
    const bounds = { alpha: 3, beta: 6, minLimit: 8, maxLimit: 10 };
    expect(vegasNextLimit(10, { rttMs: 100, minRttMs: 100 }, bounds)).toBe(10);
    // 8 × 0.99 = 7.9 queued > 6 would shrink to 7.
    expect(vegasNextLimit(8, { rttMs: 10_000, minRttMs: 100 }, bounds)).toBe(8);
  });
});

describe('createAdaptiveLimit', () => {
  it('settles where Little’s law puts the queue between alpha and beta', () => {
    // A pool of 2 workers, 100 ms per job, kept saturated: latency = limit / 20 per s.
    const limit = createAdaptiveLimit(1);
    for (let i = 0; i < 200; i++) {
      limit.onSample(Math.max(100, (limit.limit / 20) * 1000));
    }
    expect(limit.minRttMs).toBe(100);
    // queued = L × (1 − 2/L) = L − 2 must lie in [3, 6]: L in [5, 8].
    expect(limit.limit).toBeGreaterThanOrEqual(5);
    expect(limit.limit).toBeLessThanOrEqual(8);
  });
});
