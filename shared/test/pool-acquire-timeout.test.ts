import { afterEach, describe, expect, it } from 'vitest';
import { isPoolTimeoutError, type PoolTimeoutError } from '../src/errors.ts';
import { createRegistry } from '../src/metrics.ts';
import { createPool, type InstrumentedPool } from '../src/pool.ts';
import { registerPoolMetrics } from '../src/pool-metrics.ts';
import { postgresUrl } from './pg-url.ts';

let pool: InstrumentedPool | undefined;
afterEach(async () => {
  await pool?.end();
  pool = undefined;
});

describe('pool acquire timeout', () => {
  it('gives up after the timeout with an error that carries wait, max and queue length', async () => {
    pool = createPool({ connectionString: postgresUrl, max: 2, acquireTimeoutMs: 300 });
    const registry = createRegistry({ defaultMetrics: false });
    registerPoolMetrics(pool, registry);
    const held = [await pool.acquire(), await pool.acquire()];

    const started = Date.now();
    const results = await Promise.allSettled([pool.acquire(), pool.acquire(), pool.acquire()]);
    const elapsedMs = Date.now() - started;

    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const errors = results.map((r) => (r as PromiseRejectedResult).reason as PoolTimeoutError);
    expect(errors.every(isPoolTimeoutError)).toBe(true);
    expect(errors[0]?.retriable).toBe(true);
    expect(errors[0]?.poolMax).toBe(2);
    expect(errors[0]?.waitedMs).toBeGreaterThanOrEqual(290);
    // Each count includes the caller giving up: the first of three saw a queue of 3.
    expect(errors.map((e) => e.waiting).sort()).toEqual([1, 2, 3]);
    expect(errors[0]?.message).toMatch(
      /^acquire timed out after \d+ ms \(pool max 2, \d waiting\)$/,
    );
    expect(elapsedMs).toBeLessThan(2_000);

    const text = await registry.metrics();
    expect(text).toContain('db_pool_acquire_timeouts_total{pool="main"} 3');
    expect(text).toContain('db_pool_clients{pool="main",state="leased"} 2');
    expect(text).toContain('db_pool_max_clients{pool="main"} 2');

    for (const client of held) client.release();
    expect(pool.stats()).toMatchObject({ total: 2, idle: 2, waiting: 0, leased: 0 });
  });

  it('serves a queued caller as soon as a client is released, before the timeout', async () => {
    pool = createPool({ connectionString: postgresUrl, max: 1, acquireTimeoutMs: 5_000 });
    const first = await pool.acquire();
    const queued = pool.acquire();
    expect(pool.stats().waiting).toBe(1);
    first.release();
    const second = await queued;
    const { rows } = await second.query<{ one: number }>('select 1 as one');
    second.release();
    expect(rows[0]?.one).toBe(1);
  });
});
