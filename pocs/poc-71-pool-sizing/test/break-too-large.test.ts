import { describe, expect, it } from 'vitest';
import { loadConfig, ruleOfThumbPoolSize } from '../src/config.ts';
import { tooLarge } from '../src/experiments/scenarios.ts';
import { postgresUrl } from './postgres-url.ts';

// The break script's own scenario, shortened. Latency effects are the bench's job;
// here the count is how many Postgres backends each pool makes the database carry.
describe('break: pool too large', () => {
  it('opens 128 backends for the same load the rule-of-thumb pool serves with 4', async () => {
    const config = loadConfig({ POSTGRES_URL: postgresUrl });
    const rule = ruleOfThumbPoolSize(config.EFFECTIVE_SPINDLES);
    const { baseline, broken } = await tooLarge({
      rulePoolSize: rule,
      brokenPoolSize: 128,
      connections: 256,
      durationSec: 3,
      acquireTimeoutMs: 2_000,
      postgresUrl,
      products: config.SEED_PRODUCTS,
      port: 3391,
    });
    expect(baseline.serverConnections).toBe(rule);
    expect(baseline.maxActiveBackends).toBeLessThanOrEqual(rule);
    expect(broken.serverConnections).toBeGreaterThan(rule * 8);
    expect(broken.load.non2xx).toBe(0);
  });
});
