import { randomUUID } from 'node:crypto';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { parsePrometheusText, sumOf } from '@pocs/shared/prom-text';
import { waitFor } from '@pocs/shared/wait';
import amqp from 'amqplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { deleteKeys } from '../src/experiments/dedup.ts';
import { services } from './services.ts';

const id = randomUUID().replaceAll('-', '').slice(0, 12);
const config = loadConfig({
  POSTGRES_URL: services.postgresUrl,
  REDIS_URL: services.redisUrl,
  RABBITMQ_URL: services.rabbitmqUrl,
  DB_SCHEMA: `poc74_app_${id}`,
  QUEUE: `poc74.app.${id}`,
  REDIS_KEY_PREFIX: `poc74:app:${id}:`,
});
let built: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  built = await buildApp(config, { logger: silentLogger, registry: createRegistry() });
});
afterAll(async () => {
  await built?.app.close();
  const client = new pg.Client({ connectionString: services.postgresUrl });
  await client.connect();
  await client.query(`drop schema if exists "${config.DB_SCHEMA}" cascade`);
  await client.end();
  const connection = await amqp.connect(services.rabbitmqUrl);
  await (await connection.createChannel()).deleteQueue(config.QUEUE);
  await connection.close();
  await deleteKeys(services.redisUrl, config.REDIS_KEY_PREFIX);
});

const post = (url: string, payload: unknown) =>
  built.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });

describe('the order service over HTTP', () => {
  it('ships an order published 3 times exactly once, and the metrics say why', async () => {
    const res = await post('/orders', { orderId: 7, quantity: 2, copies: 3 });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ orderId: 7, messageId: 'order-7', published: 3 });
    await waitFor(() => built.consumer.stats().settled === 3, {
      timeoutMs: 10_000,
      description: '3 deliveries acked',
    });
    const shipments = await built.app.inject({ method: 'GET', url: '/orders/7/shipments' });
    expect(shipments.json()).toEqual({ orderId: 7, shipments: 1 });
    const samples = parsePrometheusText(
      (await built.app.inject({ method: 'GET', url: '/metrics' })).body,
    );
    expect(sumOf(samples, 'shipment_inserts_total', { result: 'inserted' })).toBe(1);
    expect(sumOf(samples, 'consumer_messages_total', { outcome: 'duplicate' })).toBe(2);
  });

  it('replays a range of recorded orders, and dedup keeps the shipments at one', async () => {
    const res = await post('/replay', { fromOrderId: 1, toOrderId: 10 });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ fromOrderId: 1, toOrderId: 10, replayed: 1 });
    await waitFor(() => built.consumer.stats().settled === 4, {
      timeoutMs: 10_000,
      description: 'the replayed delivery acked',
    });
    const summary = await built.app.inject({ method: 'GET', url: '/shipments/summary' });
    expect(summary.json()).toMatchObject({
      strategy: 'atomic',
      uniqueGuard: true,
      shipments: 1,
      duplicates: 0,
    });
  });

  it.each([
    ['a missing quantity', '/orders', { orderId: 1 }, "must have required property 'quantity'"],
    ['an order id of 0', '/orders', { orderId: 0, quantity: 1 }, 'must be >= 1'],
    ['11 copies', '/orders', { orderId: 1, quantity: 1, copies: 11 }, 'must be <= 10'],
    ['a quantity of 1001', '/orders', { orderId: 1, quantity: 1_001 }, 'must be <= 1000'],
    ['a text order id', '/replay', { fromOrderId: 'a', toOrderId: 2 }, 'must be integer'],
  ])('answers %s with 400 problem+json naming the field', async (_what, url, payload, detail) => {
    const res = await post(url, payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().detail).toContain(detail);
  });

  it('refuses a reversed or oversized replay range with 400, an empty one with 404', async () => {
    const reversed = await post('/replay', { fromOrderId: 9, toOrderId: 3 });
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json()).toMatchObject({
      title: 'fromOrderId must not be greater than toOrderId',
      code: 'empty_range',
    });
    const huge = await post('/replay', { fromOrderId: 1, toOrderId: 20_000 });
    expect(huge.statusCode).toBe(400);
    expect(huge.json().title).toContain('at most 10000 orders');
    const empty = await post('/replay', { fromOrderId: 500, toOrderId: 600 });
    expect(empty.statusCode).toBe(404);
    expect(empty.json().code).toBe('nothing_to_replay');
  });
});

describe('start-up on a schema that already holds duplicate shipments', () => {
  it('refuses to add the unique constraint and says what to do', async () => {
    const schema = `poc74_dup_${id}`;
    const admin = new pg.Client({ connectionString: services.postgresUrl });
    await admin.connect();
    try {
      await admin.query(`create schema "${schema}"`);
      await admin.query(`create table "${schema}".shipments (
        id bigint generated always as identity primary key, order_id int not null,
        message_id text not null, quantity int not null,
        created_at timestamptz not null default now())`);
      await admin.query(
        `insert into "${schema}".shipments (order_id, message_id, quantity) values (1, 'order-1', 1), (1, 'order-1', 1)`,
      );
      await expect(
        buildApp(
          { ...config, DB_SCHEMA: schema, PG_UNIQUE_GUARD: true },
          {
            logger: silentLogger,
            registry: createRegistry(),
          },
        ),
      ).rejects.toThrow(/already holds duplicate shipments .* Use another DB_SCHEMA/);
    } finally {
      await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    }
  });
});
