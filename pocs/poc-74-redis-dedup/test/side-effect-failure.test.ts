import { randomUUID } from 'node:crypto';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { createPool } from '@pocs/shared/pool';
import { waitFor } from '@pocs/shared/wait';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, startConsumer } from '../src/consumer.ts';
import { claim, createDeduper, type Deduper, dedupKey } from '../src/dedup.ts';
import { deleteKeys } from '../src/experiments/dedup.ts';
import { createPublisher, messageIdFor, type OrderMessage } from '../src/queue.ts';
import { ensureSchema, insertShipment, shipmentCounts, tables } from '../src/store.ts';
import { services } from './services.ts';

const id = randomUUID().replaceAll('-', '').slice(0, 12);
const db = tables(`poc74_fail_${id}`);
const keyPrefix = `poc74:fail:${id}:`;
const pool = createPool({
  connectionString: services.postgresUrl,
  max: 5,
  acquireTimeoutMs: 5_000,
});
let connection: amqp.ChannelModel;
let redis: Redis;
let runs = 0;

beforeAll(async () => {
  await ensureSchema(pool, db, false);
  redis = new Redis(services.redisUrl, { lazyConnect: true, disconnectTimeout: 0 });
  await redis.connect();
  connection = await amqp.connect(services.rabbitmqUrl);
});
afterAll(async () => {
  await pool.withClient((c) => c.query(`drop schema if exists "${db.schema}" cascade`));
  await pool.end();
  await deleteKeys(services.redisUrl, keyPrefix);
  redis.disconnect();
  await connection.close();
});

const atomic = (prefix: string, claimTtlMs: number) =>
  createDeduper('atomic', { redis, keyPrefix: prefix, ttlMs: 60_000, claimTtlMs });

/**
 * Start a consumer on a fresh queue, publish orders 1..orders (plus one poison message),
 * let `until` decide when to look, and count shipments. Everything is removed afterwards.
 */
async function run(o: {
  deduper: Deduper;
  orders: number;
  /** The shipment insert fails the first time for each order: Postgres rejects an out-of-range id. */
  failFirst: boolean;
  dangerouslyAckInFlight?: boolean;
  until: (consumer: Consumer) => boolean;
}) {
  const queue = `poc74.fail.${id}.${++runs}`;
  const setup = await connection.createChannel();
  await setup.assertQueue(queue, { durable: false });
  const failedOnce = new Set<number>();
  const consumer = await startConsumer({
    connection,
    queue,
    consumers: 2,
    prefetch: 10,
    deduper: o.deduper,
    sideEffect: (m: OrderMessage) => {
      const fail = o.failFirst && !failedOnce.has(m.orderId);
      failedOnce.add(m.orderId);
      return insertShipment(pool, db, fail ? { ...m, orderId: 2 ** 40 } : m, false);
    },
    redeliverTimes: 0,
    inFlightRetryMs: 20,
    dangerouslyAckInFlight: o.dangerouslyAckInFlight ?? false,
    registry: createRegistry(),
    logger: silentLogger,
  });
  try {
    const publisher = await createPublisher(connection, queue);
    expect(setup.sendToQueue(queue, Buffer.from('not json'))).toBe(true);
    await publisher.publish(
      Array.from({ length: o.orders }, (_, i) => ({ orderId: i + 1, quantity: 1 })),
    );
    await publisher.close();
    await waitFor(() => o.until(consumer), { timeoutMs: 15_000, description: 'the run to end' });
    return { stats: consumer.stats(), counts: await shipmentCounts(pool, db) };
  } finally {
    await consumer.stop();
    await setup.deleteQueue(queue);
    await setup.close();
    await pool.withClient((c) => c.query(`truncate ${db.shipments}`));
  }
}

// 20 orders fit in the consumers' 2 × prefetch 10 at once: a message requeued behind a stale
// claim goes back to the head of the queue, so more orders than that would starve the rest.
describe('a shipment insert that fails once per order (20 orders)', () => {
  it('keeping the claim on failure blocks every redelivery until the claim expires: 0 shipped', async () => {
    const keeps = atomic(`${keyPrefix}keep:`, 30_000);
    const r = await run({
      deduper: { ...keeps, abort: async () => {} },
      orders: 20,
      failFirst: true,
      // Every order failed once and came back at least once to find its own stale claim.
      until: (c) => c.stats().outcomes.failed === 20 && c.stats().outcomes.in_flight >= 20,
    });
    expect(r.stats.outcomes.processed).toBe(0);
    expect(r.counts.shipments).toBe(0);
  });

  it('releasing the claim: every order ships exactly once on its redelivery, poison dropped', async () => {
    const r = await run({
      deduper: atomic(`${keyPrefix}release:`, 30_000),
      orders: 20,
      failFirst: true,
      until: (c) => c.stats().settled === 21,
    });
    expect(r.stats.outcomes.failed).toBe(20);
    expect(r.stats.redelivered).toBe(20);
    expect(r.stats.outcomes.poison).toBe(1);
    expect(r.counts).toEqual({ shipments: 20, ordersShipped: 20, duplicates: 0 });
  });
});

describe('claims left by a consumer that died before its side effect (20 orders)', () => {
  // The dead consumer's claims: SET NX with a 300 ms claim TTL, never committed or released.
  const abandon = async (prefix: string) => {
    for (let orderId = 1; orderId <= 20; orderId++)
      expect(await claim(redis, dedupKey(prefix, messageIdFor(orderId)), 300)).toBe('run');
  };

  it('acking a copy that finds the message in flight loses all 20 orders', async () => {
    const prefix = `${keyPrefix}ack:`;
    await abandon(prefix);
    const r = await run({
      deduper: atomic(prefix, 30_000),
      orders: 20,
      failFirst: false,
      dangerouslyAckInFlight: true,
      until: (c) => c.stats().settled === 21,
    });
    expect(r.stats.outcomes.in_flight).toBe(20);
    expect(r.counts.shipments).toBe(0);
  });

  it('requeueing it: the claims expire and all 20 ship exactly once', async () => {
    const prefix = `${keyPrefix}requeue:`;
    await abandon(prefix);
    const r = await run({
      deduper: atomic(prefix, 30_000),
      orders: 20,
      failFirst: false,
      until: (c) => c.stats().settled === 21,
    });
    expect(r.stats.outcomes.in_flight).toBeGreaterThanOrEqual(20);
    expect(r.counts).toEqual({ shipments: 20, ordersShipped: 20, duplicates: 0 });
  });
});
