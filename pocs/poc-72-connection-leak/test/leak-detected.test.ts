import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import type { LeakReport } from '@pocs/shared/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { MAX_REFUND_CENTS } from '../src/orders.ts';
import { dropSchema, uniqueSchema } from './db-schema.ts';
import { postgresUrl } from './postgres-url.ts';

// The bug twin of no-leak-with-fix.test.ts: BREAK_LEAK_ON_ERROR=1 serves refundOrderLeaky.
const POOL_MAX = 5;
const THRESHOLD_MS = 1_000;
const ACQUIRE_TIMEOUT_MS = 1_000;
const schema = uniqueSchema('leak');
let nextRandom = 1;
let built: Awaited<ReturnType<typeof buildApp>>;
beforeAll(async () => {
  const config = loadConfig({
    POSTGRES_URL: postgresUrl,
    DB_SCHEMA: schema,
    SEED_ORDERS: '100',
    BREAK_LEAK_ON_ERROR: '1',
    PG_POOL_MAX: String(POOL_MAX),
    PG_LEAK_THRESHOLD_MS: String(THRESHOLD_MS),
    PG_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
    INJECT_ERROR_RATE: '0.5',
  });
  // The risk check declines when random() < 0.5: tests pick the outcome per request.
  built = await buildApp(config, {
    logger: silentLogger,
    registry: createRegistry(),
    random: () => nextRandom,
  });
});
afterAll(async () => {
  // close() ends the pool, which destroys the leaked clients (and rolls back their transactions).
  await built.app.close();
  await dropSchema(schema);
});

const overBalance = (orderId: number) =>
  built.app.inject({
    method: 'POST',
    url: `/orders/${orderId}/refunds`,
    payload: { amountCents: MAX_REFUND_CENTS },
  });
const metric = async (line: RegExp) => {
  const body = (await built.app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(body.match(line)?.[1]);
};

describe('with the bug (BREAK_LEAK_ON_ERROR=1)', () => {
  it('reports the leaked client within threshold + 1 s, with a stack naming refundOrderLeaky', async () => {
    const reported = once(built.pool, 'leak') as Promise<[LeakReport]>;
    const started = performance.now();
    expect((await overBalance(1)).statusCode).toBe(409);
    expect(built.pool.stats().leased).toBe(1);

    const [report] = await reported;
    const elapsedMs = performance.now() - started;
    expect(elapsedMs).toBeGreaterThanOrEqual(THRESHOLD_MS);
    expect(elapsedMs).toBeLessThanOrEqual(THRESHOLD_MS + 1_000);
    expect(report.heldMs).toBeGreaterThanOrEqual(THRESHOLD_MS);
    expect(report.stack.split('\n')[0]).toMatch(
      /^\s+at refundOrderLeaky \(.*src\/refund-leaky\.ts:\d+:\d+\)$/,
    );
    expect(await metric(/db_pool_leaks_detected_total\{pool="main"\} (\d+)/)).toBe(1);
  });

  it('leaks on a thrown decline too, but not on the 404 branch that remembers release()', async () => {
    const notFound = await built.app.inject({
      method: 'POST',
      url: '/orders/999999/refunds',
      payload: { amountCents: 100 },
    });
    expect(notFound.statusCode).toBe(404);
    expect(built.pool.stats().leased).toBe(1);

    nextRandom = 0;
    const declined = await built.app.inject({
      method: 'POST',
      url: '/orders/2/refunds',
      payload: { amountCents: 100 },
    });
    nextRandom = 1;
    expect(declined.statusCode).toBe(422);
    expect(built.pool.stats().leased).toBe(2);
  });

  it('drains the pool to 0 idle; then requests wait the acquire timeout and get 503', async () => {
    for (let orderId = 3; built.pool.stats().leased < POOL_MAX; orderId++) {
      expect((await overBalance(orderId)).statusCode).toBe(409);
    }
    expect(built.pool.stats()).toEqual({
      max: POOL_MAX,
      total: POOL_MAX,
      idle: 0,
      waiting: 0,
      leased: POOL_MAX,
    });

    const started = performance.now();
    const res = await built.app.inject({
      method: 'POST',
      url: '/orders/50/refunds',
      payload: { amountCents: 100 },
    });
    const waitedMs = performance.now() - started;
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json().title).toBe('database busy, retry later');
    expect(waitedMs).toBeGreaterThanOrEqual(ACQUIRE_TIMEOUT_MS - 20);
    expect(waitedMs).toBeLessThan(ACQUIRE_TIMEOUT_MS + 1_000);
    expect(await metric(/db_pool_acquire_timeouts_total\{pool="main"\} (\d+)/)).toBe(1);
    expect(await metric(/db_pool_clients\{pool="main",state="idle"\} (\d+)/)).toBe(0);
  });
});
