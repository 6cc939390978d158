import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { MAX_CAPTURED_CENTS, MAX_REFUND_CENTS } from '../src/orders.ts';
import { dropSchema, uniqueSchema } from './db-schema.ts';
import { postgresUrl } from './postgres-url.ts';

const schema = uniqueSchema('app');
const config = (extra: Record<string, string> = {}) =>
  loadConfig({
    POSTGRES_URL: postgresUrl,
    DB_SCHEMA: schema,
    SEED_ORDERS: '100',
    PG_POOL_MAX: '3',
    ...extra,
  });
let built: Awaited<ReturnType<typeof buildApp>>;
let declining: Awaited<ReturnType<typeof buildApp>>;
beforeAll(async () => {
  built = await buildApp(config(), { logger: silentLogger, registry: createRegistry() });
  declining = await buildApp(config({ INJECT_ERROR_RATE: '1' }), {
    logger: silentLogger,
    registry: createRegistry(),
  });
});
afterAll(async () => {
  await built.app.close();
  await declining.app.close();
  await dropSchema(schema);
});

const refund = (app: typeof built.app, url: string, payload: unknown) =>
  app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
const refundCount = async (orderId: number) =>
  Number(
    (
      await built.pool.query<{ n: number }>(
        `select count(*)::int as n from "${schema}".refunds where order_id = $1`,
        [orderId],
      )
    ).rows[0]?.n,
  );

describe('orders service (the fixed handler)', () => {
  it('shows an order with what is left to refund', async () => {
    const res = await built.app.inject({ method: 'GET', url: '/orders/42' });
    expect(res.statusCode).toBe(200);
    const order = res.json();
    expect(order).toMatchObject({ id: 42, refundedCents: 0 });
    expect(order.refundableCents).toBe(order.capturedCents);
    // The seed: captured = MAX_CAPTURED_CENTS − (id × 104,729) mod 1,000,000.
    expect(order.capturedCents).toBe(MAX_CAPTURED_CENTS - ((42 * 104_729) % 1_000_000));
    expect(order.capturedCents).toBe(1_601_381);
  });

  it('refunds part of an order and lowers its balance by exactly that much', async () => {
    const before = (await built.app.inject({ method: 'GET', url: '/orders/7' })).json();
    const res = await refund(built.app, '/orders/7/refunds', {
      amountCents: 1_250,
      reason: 'damaged',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      orderId: 7,
      amountCents: 1_250,
      refundableCents: before.refundableCents - 1_250,
    });
    const after = (await built.app.inject({ method: 'GET', url: '/orders/7' })).json();
    expect(after.refundedCents).toBe(1_250);
    expect(await refundCount(7)).toBe(1);
  });

  it('answers bad input with 400 problem+json naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['/orders/7/refunds', { amountCents: 0 }, 'body/amountCents must be >= 1'],
      ['/orders/7/refunds', { amountCents: 12.5 }, 'body/amountCents must be integer'],
      [
        '/orders/7/refunds',
        { amountCents: MAX_REFUND_CENTS + 1 },
        `body/amountCents must be <= ${MAX_REFUND_CENTS}`,
      ],
      [
        '/orders/7/refunds',
        { reason: 'no amount' },
        "body must have required property 'amountCents'",
      ],
      ['/orders/abc/refunds', { amountCents: 100 }, 'params/id must be integer'],
      ['/orders/0/refunds', { amountCents: 100 }, 'params/id must be >= 1'],
    ];
    for (const [url, payload, detail] of cases) {
      const res = await refund(built.app, url, payload);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().detail).toBe(detail);
    }
  });

  it('answers an unknown order with 404 and a stable code', async () => {
    const res = await refund(built.app, '/orders/999999/refunds', { amountCents: 100 });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'order_not_found', title: 'no order with id 999999' });
    expect((await built.app.inject({ method: 'GET', url: '/orders/999999' })).statusCode).toBe(404);
  });

  it('refuses a refund above the balance with 409, and writes nothing', async () => {
    const before = (await built.app.inject({ method: 'GET', url: '/orders/9' })).json();
    const res = await refund(built.app, '/orders/9/refunds', { amountCents: MAX_REFUND_CENTS });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'refund_exceeds_balance',
      title: `refund of ${MAX_REFUND_CENTS} cents exceeds the ${before.refundableCents} cents still refundable on order 9`,
    });
    // The refund row was inserted before the balance check failed: the rollback removed it.
    expect(await refundCount(9)).toBe(0);
    expect((await built.app.inject({ method: 'GET', url: '/orders/9' })).json()).toEqual(before);
  });

  it('answers a refund the risk check declines with 422, and writes nothing', async () => {
    const res = await refund(declining.app, '/orders/11/refunds', { amountCents: 100 });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'refund_declined' });
    expect(await refundCount(11)).toBe(0);
  });

  it('gives every client back on every path above: 0 leased, 0 leaks on /metrics', async () => {
    expect(built.pool.stats()).toMatchObject({ leased: 0, waiting: 0 });
    expect(declining.pool.stats()).toMatchObject({ leased: 0, waiting: 0 });
    const metrics = await built.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('db_pool_leaks_detected_total{pool="main"} 0');
    expect(metrics.body).toContain('db_pool_clients{pool="main",state="leased"} 0');
    const health = await built.app.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toMatchObject({ status: 'ok', pool: { max: 3, leased: 0 } });
  });
});
