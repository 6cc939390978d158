import { createKafka } from '@pocs/kafka';
import { createDeadline, withinDeadline } from '@pocs/shared/deadline';
import type { Logger } from '@pocs/shared/log';
import { Counter, type Registry } from '@pocs/shared/metrics';
import { createPool } from '@pocs/shared/pool';
import { registerPoolMetrics } from '@pocs/shared/pool-metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import type { Admin, ISocketFactory } from 'kafkajs';
import type { Config } from './config.ts';
import { type OrderConsumer, startOrderConsumer } from './consumer.ts';
import { isProduceFailedError, isProduceTimeoutError } from './errors.ts';
import { describeLag, ensureTopic, serviceClientSettings, totalLag } from './kafka.ts';
import { keyFor, orderRequestSchema } from './order.ts';
import { partitionForKey } from './partition.ts';
import { createOrderProducer, type OrderProducer } from './producer.ts';
import { dropSchema, ensureSchema, findOrder, tables } from './store.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The order service: POST /orders produces an order-placed event keyed by customer, a
 * consumer (in this process unless CONSUMER_ENABLED=0) writes the events to Postgres and
 * commits offsets after the write. GET /topic shows partitions, offsets and lag.
 */
export async function buildApp(
  config: Readonly<Config>,
  deps: {
    logger: Logger;
    registry: Registry;
    /** Tests and experiments: on close, delete this instance's topic, group and schema. */
    dropOnClose?: boolean;
    /** How Kafka connections are opened; tests route them through toxiproxy. */
    kafkaSocketFactory?: ISocketFactory;
  },
) {
  const { logger, registry } = deps;
  const db = tables(config.DB_SCHEMA);
  const uniqueOrderId = !config.BREAK_NO_UNIQUE_ORDER_ID;
  const pool = createPool({
    connectionString: config.POSTGRES_URL,
    name: 'main',
    applicationName: 'poc-46',
    max: config.PG_POOL_MAX,
    acquireTimeoutMs: config.PG_ACQUIRE_TIMEOUT_MS,
    logger,
  });
  registerPoolMetrics(pool, registry);
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    logger,
    ...serviceClientSettings,
    ...(deps.kafkaSocketFactory ? { socketFactory: deps.kafkaSocketFactory } : {}),
  });
  const admin: Admin = kafka.admin();
  let producer: OrderProducer | undefined;
  let consumer: OrderConsumer | undefined;
  try {
    await ensureSchema(pool, db, uniqueOrderId);
    await admin.connect();
    await ensureTopic(admin, config.TOPIC, config.TOPIC_PARTITIONS);
    producer = await createOrderProducer({
      kafka,
      topic: config.TOPIC,
      acks: config.PRODUCER_ACKS === '-1' ? -1 : 1,
      retries: config.PRODUCER_RETRIES,
      timeoutMs: config.PRODUCE_TIMEOUT_MS,
      registry,
      logger,
    });
    if (config.CONSUMER_ENABLED) {
      consumer = await startOrderConsumer({
        kafka,
        admin,
        topic: config.TOPIC,
        groupId: config.CONSUMER_GROUP,
        pool,
        db,
        uniqueOrderId,
        registry,
        logger,
      });
    }
  } catch (err) {
    await consumer?.stop().catch(() => {});
    await producer?.disconnect().catch(() => {});
    if (deps.dropOnClose) {
      await admin.deleteTopics({ topics: [config.TOPIC] }).catch(() => {});
      await dropSchema(pool, db).catch(() => {});
    }
    await admin.disconnect().catch(() => {});
    await pool.end();
    throw err;
  }
  const orderProducer = producer;

  if (config.BREAK_ACK_BEFORE_SEND) {
    logger.warn(
      'BREAK_ACK_BEFORE_SEND=1: POST /orders answers 202 before the broker acknowledged; ' +
        'an order whose send then fails is lost',
    );
  }
  if (!uniqueOrderId) {
    logger.warn(
      'BREAK_NO_UNIQUE_ORDER_ID=1: no unique index on order_id; every redelivery writes a second row',
    );
  }

  const orders = new Counter({
    name: 'orders_total',
    help: 'POST /orders answers, by result (accepted = 202, rejected = 503 not accepted)',
    labelNames: ['result'],
    registers: [registry],
  });

  const app = createServer({
    logger,
    registry,
    health: () => ({
      topic: config.TOPIC,
      consumer: config.CONSUMER_ENABLED,
      acks: config.PRODUCER_ACKS,
      ackBeforeSend: config.BREAK_ACK_BEFORE_SEND,
      uniqueOrderId,
    }),
  });
  app.addHook('onClose', async () => {
    await orderProducer.settled();
    await consumer?.stop().catch((err) => logger.warn({ err }, 'consumer stop failed'));
    await orderProducer.disconnect().catch(() => {});
    if (deps.dropOnClose) {
      await admin.deleteTopics({ topics: [config.TOPIC] }).catch(() => {});
      await admin.deleteGroups([config.CONSUMER_GROUP]).catch(() => {});
      await dropSchema(pool, db).catch(() => {});
    }
    await admin.disconnect().catch(() => {});
    await pool.end();
  });

  app.post('/orders', async (request, reply) => {
    const parsed = orderRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      return sendProblem(reply, 400, 'invalid order', {
        code: 'invalid_order',
        errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    const order = parsed.data;
    const key = keyFor(order);
    const expectedPartition = partitionForKey(key, config.TOPIC_PARTITIONS);
    if (config.BREAK_ACK_BEFORE_SEND) {
      orderProducer.sendUnconfirmed(order);
      orders.inc({ result: 'accepted' });
      return reply.code(202).send({ orderId: order.orderId, key, partition: expectedPartition });
    }
    try {
      const ack = await orderProducer.send(order);
      orders.inc({ result: 'accepted' });
      return reply
        .code(202)
        .send({ orderId: order.orderId, key, partition: ack.partition, offset: ack.offset });
    } catch (err) {
      if (!isProduceTimeoutError(err) && !isProduceFailedError(err)) throw err;
      orders.inc({ result: 'rejected' });
      request.log.warn({ err, orderId: order.orderId }, 'order not accepted: broker did not ack');
      // Not accepted: the client keeps the order and retries with the same orderId. The
      // send may still land later; the consumer's unique index absorbs that copy.
      return sendProblem(reply.header('retry-after', '1'), 503, 'order not accepted, retry', {
        code: isProduceTimeoutError(err) ? 'broker_ack_timeout' : 'broker_unavailable',
        orderId: order.orderId,
      });
    }
  });

  app.get<{ Params: { orderId: string } }>('/orders/:orderId', async (request, reply) => {
    const { orderId } = request.params;
    if (!uuidPattern.test(orderId)) {
      return sendProblem(reply, 400, 'orderId must be a UUID', { code: 'invalid_order_id' });
    }
    const rows = await findOrder(pool, db, orderId);
    if (rows.length === 0) {
      return sendProblem(reply, 404, `order ${orderId} is not in Postgres (yet)`, {
        code: 'order_not_found',
      });
    }
    return { ...rows[0], rows: rows.length };
  });

  app.get<{ Params: { key: string } }>('/keys/:key/partition', async (request) => {
    const { key } = request.params;
    return {
      key,
      partitions: config.TOPIC_PARTITIONS,
      partition: partitionForKey(key, config.TOPIC_PARTITIONS),
    };
  });

  app.get('/topic', async (request, reply) => {
    let partitions: Awaited<ReturnType<typeof describeLag>>;
    try {
      partitions = await withinDeadline(
        createDeadline(config.ADMIN_TIMEOUT_MS),
        'reading the topic offsets',
        () => describeLag(admin, config.TOPIC, config.CONSUMER_GROUP),
      );
    } catch (err) {
      // Brokers gone or too slow: fail fast and say when to come back.
      request.log.warn({ err }, 'topic offsets unavailable');
      return sendProblem(reply.header('retry-after', '1'), 503, 'Kafka unavailable, retry later', {
        code: 'kafka_unavailable',
      });
    }
    return {
      topic: config.TOPIC,
      group: config.CONSUMER_GROUP,
      lag: totalLag(partitions),
      partitions,
      producer: orderProducer.stats(),
      consumer: consumer?.stats() ?? null,
    };
  });

  app.post('/consumer/rewind', async (_request, reply) => {
    if (!consumer) {
      return sendProblem(reply, 409, 'no consumer runs in this process (CONSUMER_ENABLED=0)', {
        code: 'consumer_disabled',
      });
    }
    await consumer.rewind();
    return reply.code(202).send({ group: config.CONSUMER_GROUP, rewoundTo: 'earliest' });
  });

  return { app, pool, db, admin, producer: orderProducer, consumer };
}
