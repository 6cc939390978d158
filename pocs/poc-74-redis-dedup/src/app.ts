import {
  BrokerUnavailableError,
  isBrokerUnavailableError,
  ReconnectingConnection,
} from '@pocs/rabbitmq';
import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createPool } from '@pocs/shared/pool';
import { registerPoolMetrics } from '@pocs/shared/pool-metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { type Consumer, startConsumer } from './consumer.ts';
import { createDeduper } from './dedup.ts';
import { createPublisher, messageIdFor, type Publisher } from './queue.ts';
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
  // Every command is bounded: a restarted Redis fails a dedup call within about a second
  // (not 10.5 s of offline-queue retries), a frozen one within commandTimeout (not never).
  const redis = new Redis(config.REDIS_URL, {
    lazyConnect: true,
    disconnectTimeout: 0,
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
    keepAlive: 10_000,
  });
  redis.on('error', (err: Error) => deps.logger.warn({ err }, 'redis connection error'));
  const deduper = createDeduper(config.DEDUP_STRATEGY, {
    redis,
    keyPrefix: config.REDIS_KEY_PREFIX,
    ttlMs: config.DEDUP_TTL_MS,
    claimTtlMs: config.DEDUP_CLAIM_TTL_MS,
  });

  // One RabbitMQ connection for the service's life: after a restart, reset or dropped link
  // it reconnects with backoff and `setup` builds the queue, the publisher and the
  // consumers again. While it is down, publishes and /health answer 503.
  let publisher: Publisher | undefined;
  let consumer: Consumer | undefined;
  const rabbit: ReconnectingConnection = new ReconnectingConnection({
    url: config.RABBITMQ_URL,
    logger: deps.logger,
    setup: async (connection) => {
      const setup = await connection.createChannel();
      // A 406 (the queue exists with other arguments) rejects assertQueue; without a
      // listener it would also be thrown from the socket handler and end the process.
      setup.on('error', () => {});
      await setup.assertQueue(config.QUEUE, { durable: true });
      await setup.close();
      publisher = await createPublisher(connection, config.QUEUE, {
        watch: (channel) => rabbit.watch(channel, 'publisher'),
      });
      if (consumer) {
        await consumer.resume(connection);
        return;
      }
      consumer = await startConsumer({
        connection,
        queue: config.QUEUE,
        consumers: config.CONSUMERS,
        prefetch: config.PREFETCH,
        deduper,
        sideEffect: (m) => insertShipment(pool, db, m, config.PG_UNIQUE_GUARD),
        redeliverTimes: config.BREAK_REDELIVER_TIMES,
        inFlightRetryMs: config.DEDUP_IN_FLIGHT_RETRY_MS,
        registry: deps.registry,
        logger: deps.logger,
        watch: (channel, name) => rabbit.watch(channel, name),
      });
    },
  });
  rabbit.on('lost', () => {
    publisher = undefined;
  });
  try {
    await ensureSchema(pool, db, config.PG_UNIQUE_GUARD);
    await redis.connect();
    await rabbit.start();
  } catch (err) {
    await consumer?.stop(0).catch(() => {});
    await rabbit.close();
    redis.disconnect();
    await pool.end();
    throw err;
  }
  const started = consumer as Consumer;
  /** The publisher on the live connection; BrokerUnavailableError while it is down. */
  const livePublisher: Publisher = {
    publish: (orders, copies) => {
      if (!publisher || rabbit.state !== 'open') {
        return Promise.reject(new BrokerUnavailableError(`RabbitMQ connection is ${rabbit.state}`));
      }
      return publisher.publish(orders, copies);
    },
    close: async () => {
      await publisher?.close();
    },
  };
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
    // 503 while either dependency is down: Redis answers within REDIS_COMMAND_TIMEOUT_MS.
    health: async () => {
      if (rabbit.state !== 'open') {
        throw new BrokerUnavailableError(`RabbitMQ connection is ${rabbit.state}`);
      }
      await redis.ping();
      return {
        strategy: config.DEDUP_STRATEGY,
        uniqueGuard: config.PG_UNIQUE_GUARD,
        rabbitmq: rabbit.stats(),
      };
    },
  });
  app.addHook('onClose', async () => {
    await started.stop();
    await livePublisher.close().catch(() => {});
    await rabbit.close();
    await redis.quit().catch(() => redis.disconnect());
    await pool.end();
  });

  app.post<{ Body: { orderId: number; quantity: number; copies: number } }>(
    '/orders',
    { schema: { body: orderBody } },
    async (request, reply) => {
      const { orderId, quantity, copies } = request.body;
      await recordOrder(pool, db, { orderId, quantity });
      let published: number;
      try {
        published = await livePublisher.publish([{ orderId, quantity }], copies);
      } catch (err) {
        return brokerUnavailable(reply, err);
      }
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
      let replayed: number;
      try {
        replayed = await livePublisher.publish(orders);
      } catch (err) {
        return brokerUnavailable(reply, err);
      }
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
    consumer: started.stats(),
  }));

  /** RabbitMQ is down or did not confirm in time: 503 with Retry-After, details in the log. */
  function brokerUnavailable(reply: Parameters<typeof sendProblem>[0], err: unknown) {
    if (!isBrokerUnavailableError(err)) throw err;
    // The drop itself is logged once, by the connection; this is one request of many.
    reply.log.debug({ err }, 'rabbitmq unavailable');
    return sendProblem(
      reply.header('retry-after', '1'),
      503,
      'message broker unavailable, retry later',
      {
        code: 'broker_unavailable',
      },
    );
  }

  return { app, pool, redis, consumer: started, publisher: livePublisher, rabbit, db };
}
