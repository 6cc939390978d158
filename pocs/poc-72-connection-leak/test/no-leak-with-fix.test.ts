import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { refundFor } from '../src/experiments/refund-load.ts';
import { dropSchema, uniqueSchema } from './db-schema.ts';
import { postgresUrl } from './postgres-url.ts';

// The fix twin of leak-detected.test.ts: the default handler, refundOrder with withClient().
const REQUESTS = 10_000;
const ERROR_RATE = 0.2;
const CONCURRENCY = 50;
const ORDERS = 1_000;
const schema = uniqueSchema('fix');
let built: Awaited<ReturnType<typeof buildApp>>;
beforeAll(async () => {
  const config = loadConfig({
    POSTGRES_URL: postgresUrl,
    DB_SCHEMA: schema,
    SEED_ORDERS: String(ORDERS),
  });
  expect(config.BREAK_LEAK_ON_ERROR).toBe(false);
  built = await buildApp(config, { logger: silentLogger, registry: createRegistry() });
});
afterAll(async () => {
  await built.app.close();
  await dropSchema(schema);
});

describe('with the fix (withClient)', () => {
  it('serves 10,000 refunds with 20% injected errors and leaks 0 clients; idle == total at the end', async () => {
    const statuses = new Map<number, number>();
    let injected = 0;
    let refundedCents = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < REQUESTS; i = next++) {
          const r = refundFor(i, ERROR_RATE, ORDERS);
          if (r.injected) injected++;
          const res = await built.app.inject({
            method: 'POST',
            url: `/orders/${r.orderId}/refunds`,
            payload: { amountCents: r.amountCents },
          });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          if (res.statusCode === 201) refundedCents += r.amountCents;
        }
      }),
    );

    expect(injected).toBe(REQUESTS * ERROR_RATE);
    // Exactly the injected requests failed, each with its 409; no 503, no 500.
    expect(Object.fromEntries(statuses)).toEqual({ 201: REQUESTS - injected, 409: injected });

    const stats = built.pool.stats();
    expect(stats.leased).toBe(0);
    expect(stats.waiting).toBe(0);
    expect(stats.total).toBeGreaterThan(0);
    expect(stats.idle).toBe(stats.total);
    const metrics = (await built.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('db_pool_leaks_detected_total{pool="main"} 0');
    expect(metrics).toContain('db_pool_acquire_timeouts_total{pool="main"} 0');

    // Every failed refund rolled back its inserted row: the books match the 201s exactly.
    const { rows } = await built.pool.query<{ refunds: number; cents: number }>(
      `select (select count(*)::int from "${schema}".refunds) as refunds,
              (select sum(refunded_cents)::int from "${schema}".orders) as cents`,
    );
    expect(rows[0]).toEqual({ refunds: REQUESTS - injected, cents: refundedCents });
  });
});
