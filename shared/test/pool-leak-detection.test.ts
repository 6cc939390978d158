import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/metrics.ts';
import { createPool, type InstrumentedPool, type LeakReport } from '../src/pool.ts';
import { registerPoolMetrics } from '../src/pool-metrics.ts';
import { waitFor } from '../src/wait.ts';
import { postgresUrl } from './pg-url.ts';

let pool: InstrumentedPool | undefined;
afterEach(async () => {
  await pool?.end();
  pool = undefined;
});

// Named so the test can check that the report points at the code that leaked.
async function loadReportWithoutRelease(p: InstrumentedPool): Promise<void> {
  const client = await p.acquire();
  await client.query('select 1');
  // bug under test: no release()
}

describe('leak detection', () => {
  it('reports a held client once, within threshold + 1 s, naming the acquiring function', async () => {
    pool = createPool({
      connectionString: postgresUrl,
      max: 2,
      acquireTimeoutMs: 500,
      leakDetectionThresholdMs: 200,
    });
    const registry = createRegistry({ defaultMetrics: false });
    registerPoolMetrics(pool, registry);
    const leaks: LeakReport[] = [];
    pool.on('leak', (r) => leaks.push(r));

    const started = Date.now();
    await loadReportWithoutRelease(pool);
    await waitFor(() => leaks.length === 1, { timeoutMs: 1_200, description: 'leak report' });
    expect(Date.now() - started).toBeLessThan(1_200);
    expect(leaks[0]?.stack.split('\n')[0]).toContain('loadReportWithoutRelease');
    expect(leaks[0]?.heldMs).toBeGreaterThanOrEqual(200);
    expect(leaks[0]?.forceReleased).toBe(false);

    // Reported once, not on every tick.
    await new Promise((r) => setTimeout(r, 400));
    expect(leaks).toHaveLength(1);
    expect(await registry.metrics()).toContain('db_pool_leaks_detected_total{pool="main"} 1');
    expect(pool.stats()).toMatchObject({ leased: 1, idle: 0 });
  });

  it('does not report clients released before the threshold', async () => {
    pool = createPool({
      connectionString: postgresUrl,
      max: 2,
      acquireTimeoutMs: 500,
      leakDetectionThresholdMs: 150,
    });
    let leaks = 0;
    pool.on('leak', () => leaks++);
    for (let i = 0; i < 20; i++) await pool.withClient((c) => c.query('select 1'));
    await new Promise((r) => setTimeout(r, 300));
    expect(leaks).toBe(0);
  });

  it('with force-release, destroys the leaked client so the pool serves again', async () => {
    pool = createPool({
      connectionString: postgresUrl,
      max: 1,
      acquireTimeoutMs: 2_000,
      leakDetectionThresholdMs: 200,
      dangerouslyForceReleaseLeaks: true,
    });
    const leaked = await pool.acquire();
    // The only client is leaked; this acquire succeeds only because the detector frees it.
    const next = await pool.acquire();
    await next.query('select 1');
    next.release();
    // The leaking code's late release must not throw or double-free.
    expect(() => leaked.release()).not.toThrow();
    expect(pool.stats()).toMatchObject({ leased: 0, waiting: 0 });
  });
});
