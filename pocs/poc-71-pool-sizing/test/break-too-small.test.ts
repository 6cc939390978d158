import { describe, expect, it } from 'vitest';
import { loadConfig, ruleOfThumbPoolSize } from '../src/config.ts';
import { tooSmall } from '../src/experiments/scenarios.ts';
import { postgresUrl } from './postgres-url.ts';

// The break script's own scenario, with its defaults: it must reproduce every time, busy
// machine or not. Every request holds its connection for ≥ 200 ms of network latency
// (toxiproxy), so the counts follow from arithmetic, not from this machine's speed:
// pool 4 starts the last of 20 requests at 800 ms, 2.5× inside the 2000 ms timeout; pool
// 1 can start at most 1 × (⌊2000/200⌋ + 1) = 11 of them, however fast the CPU.
describe('break: pool too small', () => {
  it('gives up on every request pool 1 cannot start within the timeout, while pool 4 serves all 20', async () => {
    const config = loadConfig({ POSTGRES_URL: postgresUrl });
    const rule = ruleOfThumbPoolSize(config.EFFECTIVE_SPINDLES);
    const requests = 20;
    const { baseline, broken } = await tooSmall({
      rulePoolSize: rule,
      brokenPoolSize: 1,
      requests,
      dbLatencyMs: 200,
      acquireTimeoutMs: 2_000,
      postgresUrl,
      products: config.SEED_PRODUCTS,
      port: 3371,
      proxyPort: 27713,
    });
    // The whole result in the message: a failure says how (queue, timings).
    const seen = JSON.stringify({ baseline, broken });
    const line = (r: typeof baseline) =>
      `pool ${r.poolSize}: ${r.burst.served} served, ${r.burst.gaveUp} gave up, last answer ${r.burst.lastAnswerMs} ms`;
    console.info(`too small: ${line(baseline)} | ${line(broken)}`);
    expect(baseline.plan.headroom, seen).toBeGreaterThanOrEqual(2);
    expect(baseline.burst, seen).toMatchObject({
      served: requests,
      gaveUp: 0,
      failed: 0,
      noAnswer: 0,
    });
    expect(baseline.acquireTimeouts, seen).toBe(0);

    expect(broken.plan.capacity, seen).toBe(11);
    expect(broken.burst.served, seen).toBeGreaterThan(0);
    expect(broken.burst.served, seen).toBeLessThanOrEqual(broken.plan.capacity);
    expect(broken.burst.gaveUp, seen).toBe(requests - broken.burst.served);
    expect(broken.burst.gaveUp, seen).toBeGreaterThanOrEqual(broken.plan.shortfall);
    expect(broken.acquireTimeouts, seen).toBe(broken.burst.gaveUp);
    expect({ failed: broken.burst.failed, noAnswer: broken.burst.noAnswer }, seen).toEqual({
      failed: 0,
      noAnswer: 0,
    });
  });
});
