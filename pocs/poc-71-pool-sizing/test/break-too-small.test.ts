import { describe, expect, it } from 'vitest';
import { loadConfig, ruleOfThumbPoolSize } from '../src/config.ts';
import { tooSmall } from '../src/experiments/scenarios.ts';
import { postgresUrl } from './postgres-url.ts';

// The break script's own scenario, shortened: it must keep reproducing the failure.
describe('break: pool too small', () => {
  it('starves the 1-connection pool (timeouts > 0) while the rule-of-thumb pool has 0', async () => {
    const config = loadConfig({ POSTGRES_URL: postgresUrl });
    const { baseline, broken } = await tooSmall({
      rulePoolSize: ruleOfThumbPoolSize(config.EFFECTIVE_SPINDLES),
      brokenPoolSize: 1,
      connections: 256,
      durationSec: 4,
      rate: 150,
      dbLatencyMs: 10,
      acquireTimeoutMs: 500,
      postgresUrl,
      products: config.SEED_PRODUCTS,
      port: 3371,
    });
    // The whole result in the message: a baseline that times out says how (queue, latency).
    const seen = JSON.stringify({ baseline, broken });
    expect(baseline.acquireTimeouts, seen).toBe(0);
    expect(baseline.load.non2xx, seen).toBe(0);
    expect(broken.acquireTimeouts).toBeGreaterThan(100);
    expect(broken.load.non2xx).toBeGreaterThan(100);
  });
});
