import { describe, expect, it } from 'vitest';
import { loadConfig, ruleOfThumbPoolSize } from '../src/config.ts';
import { tooLarge } from '../src/experiments/scenarios.ts';
import { postgresUrl } from './postgres-url.ts';

// The break script's own scenario, with its defaults. The fleet (2 service instances)
// runs as a role created for the test with CONNECTION LIMIT 16, in place of the shared
// server's max_connections. 2 × 4 connections fit it twice over: nothing can be refused.
// 2 × 16 is twice the limit: a burst that asks every pool for all of it gets the
// connections over the limit refused, and those requests fail. Counts, not latencies.
describe('break: pool too large', () => {
  it('gets connections over the fleet budget refused at pool 16, and none at pool 4', async () => {
    const config = loadConfig({ POSTGRES_URL: postgresUrl });
    const rule = ruleOfThumbPoolSize(config.EFFECTIVE_SPINDLES);
    const instances = 2;
    const connectionLimit = 16;
    const r = await tooLarge({
      rulePoolSize: rule,
      brokenPoolSize: 16,
      instances,
      connectionLimit,
      requests: 16,
      dbLatencyMs: 100,
      acquireTimeoutMs: 2_000,
      postgresUrl,
      products: config.SEED_PRODUCTS,
      port: 3391,
      proxyPort: 27715,
    });
    const { baseline, broken } = r;
    const seen = JSON.stringify(r);
    const line = (x: typeof baseline) =>
      `${instances} × pool ${x.poolSize}: ${x.burst.served} served, ${x.burst.failed} failed, ${x.refusedConnections} refused, ${x.backendsAfterBurst} backends, last answer ${x.burst.lastAnswerMs} ms`;
    console.info(`too large: ${line(baseline)} | ${line(broken)}`);
    expect(r.fleetPlan.baseline.wanted * 2, seen).toBeLessThanOrEqual(connectionLimit);
    expect(r.fleetPlan.broken.wanted, seen).toBe(2 * connectionLimit);

    expect(baseline.burst, seen).toMatchObject({ served: 32, gaveUp: 0, failed: 0, noAnswer: 0 });
    expect(baseline.refusedConnections, seen).toBe(0);
    expect(baseline.backendsAfterBurst, seen).toBeLessThanOrEqual(r.fleetPlan.baseline.wanted);

    // The database never lets the role past its limit; what was over it was refused, and
    // every refusal is one failed request (one log line each), nothing else failed.
    expect(broken.backendsAfterBurst, seen).toBeLessThanOrEqual(connectionLimit);
    expect(broken.refusedConnections, seen).toBeGreaterThanOrEqual(r.fleetPlan.broken.over / 2);
    expect(broken.burst.failed, seen).toBe(broken.refusedConnections);
    expect(broken.burst.served + broken.burst.failed, seen).toBe(32);
    expect({ gaveUp: broken.burst.gaveUp, noAnswer: broken.burst.noAnswer }, seen).toEqual({
      gaveUp: 0,
      noAnswer: 0,
    });
  });
});
