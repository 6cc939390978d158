import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type InstrumentedPool } from '../src/pool.ts';
import { postgresUrl } from './pg-url.ts';

let pool: InstrumentedPool | undefined;
afterEach(async () => {
  await pool?.end();
  pool = undefined;
});

describe('withClient', () => {
  it('releases the client whether fn resolves, rejects or throws a query error', async () => {
    pool = createPool({ connectionString: postgresUrl, max: 3, acquireTimeoutMs: 1_000 });
    const p = pool;
    let releases = 0;
    p.on('release', () => releases++);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        p.withClient(async (client) => {
          if (i % 3 === 0) throw new Error(`handler failed ${i}`);
          if (i % 3 === 1) return client.query('select * from table_that_does_not_exist');
          return client.query('select 1');
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(40);
    expect(releases).toBe(60);
    expect(p.stats()).toMatchObject({ total: 3, idle: 3, waiting: 0, leased: 0 });
  });

  it('returns what fn returns', async () => {
    pool = createPool({ connectionString: postgresUrl, max: 1, acquireTimeoutMs: 1_000 });
    const value = await pool.withClient(
      async (c) => (await c.query<{ n: number }>('select 41 + 1 as n')).rows[0]?.n,
    );
    expect(value).toBe(42);
  });

  it('reports hold time through release events', async () => {
    pool = createPool({ connectionString: postgresUrl, max: 1, acquireTimeoutMs: 1_000 });
    const holds: number[] = [];
    pool.on('release', ({ holdMs }) => holds.push(holdMs));
    await pool.withClient((c) => c.query('select pg_sleep(0.1)'));
    expect(holds).toHaveLength(1);
    expect(holds[0]).toBeGreaterThanOrEqual(95);
  });
});
