import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createPool } from '@pocs/shared/pool';
import { registerPoolMetrics } from '@pocs/shared/pool-metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { startConsumer } from './consumer.ts';
import { createDeduper } from './dedup.ts';
import { createPublisher, messageIdFor } from './queue.ts';
import {
  ensureSchema,
  insertShipment,
  MAX_ORDER_ID,
  ordersInRange,
  recordOrder,
  shipmentCounts,
  shipmentsForOrder,
  tables,
} from './store.ts';

/** The most orders one replay may republish. */
export const MAX_REPLAY_RANGE = 10_000;
/** The most copies of one order POST /orders may publish (duplicates on purpose). */
export const MAX_COPIES = 10;

const orderId = { type: 'integer', minimum: 1, maximum: MAX_ORDER_ID } as const;

const orderBody = {
  type: 'object',
  required: ['orderId', 'quantity'],
  additionalProperties: false,
  properties: {
    orderId,
    quantity: { type: 'integer', minimum: 1, maximum: 1_000 },
    copies: { type: 'integer', minimum: 1, maximum: MAX_COPIES, default: 1 },
  },
} as const;

const replayBody = {
  type: 'object',
  required: ['fromOrderId', 'toOrderId'],
  additionalProperties: false,
  properties: { fromOrderId: orderId, toOrderId: orderId },
} as const;

/**
 * The order-processing service: publishes order events to RabbitMQ and consumes them
 * at least once, shipping each order (a row in shipments). DEDUP_STRATEGY and
 * PG_UNIQUE_GUARD decide what stops a redelivered or replayed event shipping twice.
 */
export async function buildApp(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry },
) {
  const db = tables(config.DB_SCHEMA);
  const pool = createPool({
    connectionString: config.POSTGRES_URL,
    name: 'main',
    applicationName: 'poc-74',
    max: config.PG_POOL_MAX,
    acquireTimeoutMs: config.PG_ACQUIRE_TIMEOUT_MS,
    logger: deps.logger,
  });
  registerPoolMetrics(pool, deps.registry);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, disconnectTimeout: 0 });
  redis.on('error', (err: Error) => deps.logger.warn({ err }, 'redis connection error'));
  let connection: amqp.ChannelModel | undefined;
  try {
    await ensureSchema(pool, db, config.PG_UNIQUE_GUARD);
    await redis.connect();
    connection = await amqp.connect(config.RABBITMQ_URL);
    connection.on('error', (err: Error) => deps.logger.warn({ err }, 'rabbitmq connection error'));
    const setup = await connection.createChannel();
    await setup.assertQueue(config.QUEUE, { durable: true });
    await setup.close();
  } catch (err) {
    await connection?.close().catch(() => {});
    redis.disconnect();
    await pool.end();
    throw err;
  }
  const amqpConnection = connection;

  const deduper = createDeduper(config.DEDUP_STRATEGY, {
    redis,
    keyPrefix: config.REDIS_KEY_PREFIX,
    ttlMs: config.DEDUP_TTL_MS,
    claimTtlMs: config.DEDUP_CLAIM_TTL_MS,
  });
  const publisher = await createPublisher(amqpConnection, config.QUEUE);
  const consumer = await startConsumer({
    connection: amqpConnection,
    queue: config.QUEUE,
    consumers: config.CONSUMERS,
    prefetch: config.PREFETCH,
    deduper,
    sideEffect: (m) => insertShipment(pool, db, m, config.PG_UNIQUE_GUARD),
    redeliverTimes: config.BREAK_REDELIVER_TIMES,
    inFlightRetryMs: config.DEDUP_IN_FLIGHT_RETRY_MS,
    registry: deps.registry,
    logger: deps.logger,
  });
  if (config.DEDUP_STRATEGY !== 'atomic') {
    deps.logger.warn(
      { strategy: config.DEDUP_STRATEGY },
      'DEDUP_STRATEGY is not atomic: redeliveries or concurrent copies can ship an order twice',
    );
  }
  if (!config.PG_UNIQUE_GUARD) {
    deps.logger.warn('PG_UNIQUE_GUARD=0: nothing durable stops a duplicate once Redis forgets');
  }
  if (config.BREAK_REDELIVER_TIMES > 0) {
    deps.logger.warn(
      { times: config.BREAK_REDELIVER_TIMES },
      'BREAK_REDELIVER_TIMES: every delivery is nacked after handling, as if its ack were lost',
    );
  }

  const app = createServer({
    ...deps,
    health: async () => {
      await redis.ping();
      return { strategy: config.DEDUP_STRATEGY, uniqueGuard: config.PG_UNIQUE_GUARD };
    },
  });
  app.addHook('onClose', async () => {
    await consumer.stop();
    await publisher.close().catch(() => {});
    await amqpConnection.close().catch(() => {});
    await redis.quit().catch(() => redis.disconnect());
    await pool.end();
  });

  app.post<{ Body: { orderId: number; quantity: number; copies: number } }>(
    '/orders',
    { schema: { body: orderBody } },
    async (request, reply) => {
      const { orderId, quantity, copies } = request.body;
      await recordOrder(pool, db, { orderId, quantity });
      const published = await publisher.publish([{ orderId, quantity }], copies);
      return reply.code(202).send({ orderId, messageId: messageIdFor(orderId), published });
    },
  );

  app.post<{ Body: { fromOrderId: number; toOrderId: number } }>(
    '/replay',
    { schema: { body: replayBody } },
    async (request, reply) => {
      const { fromOrderId, toOrderId } = request.body;
      if (fromOrderId > toOrderId) {
        return sendProblem(reply, 400, 'fromOrderId must not be greater than toOrderId', {
          code: 'empty_range',
          fromOrderId,
          toOrderId,
        });
      }
      if (toOrderId - fromOrderId + 1 > MAX_REPLAY_RANGE) {
        return sendProblem(
          reply,
          400,
          `a replay covers at most ${MAX_REPLAY_RANGE} orders: split ${fromOrderId}..${toOrderId} into smaller ranges`,
          { code: 'range_too_large' },
        );
      }
      const orders = await ordersInRange(pool, db, fromOrderId, toOrderId);
      if (orders.length === 0) {
        return sendProblem(
          reply,
          404,
          `no orders recorded between ${fromOrderId} and ${toOrderId}`,
          {
            code: 'nothing_to_replay',
          },
        );
      }
      const replayed = await publisher.publish(orders);
      return reply.code(202).send({ fromOrderId, toOrderId, replayed });
    },
  );

  app.get<{ Params: { orderId: number } }>(
    '/orders/:orderId/shipments',
    {
      schema: {
        params: { type: 'object', required: ['orderId'], properties: { orderId } },
      },
    },
    async (request) => ({
      orderId: request.params.orderId,
      shipments: await shipmentsForOrder(pool, db, request.params.orderId),
    }),
  );

  app.get('/shipments/summary', async () => ({
    strategy: config.DEDUP_STRATEGY,
    uniqueGuard: config.PG_UNIQUE_GUARD,
    ...(await shipmentCounts(pool, db)),
    consumer: consumer.stats(),
  }));

  return { app, pool, redis, consumer, publisher, db };
}
