import { performance } from 'node:perf_hooks';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { waitFor } from '@pocs/shared/wait';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { buildApp } from '../app.ts';
import { type DedupStrategy, loadConfig } from '../config.ts';
import type { ConsumerStats } from '../consumer.ts';
import { type ShipmentCounts, seedOrders, shipmentCounts } from '../store.ts';

/** What a run sets up; a result repeats it, so each result says what produced it. */
export interface DedupSetup {
  strategy: DedupStrategy;
  /** The Postgres unique constraint on shipments(order_id). */
  uniqueGuard: boolean;
  /** Orders 1..orders, each published `copies` times back to back. */
  orders: number;
  copies: number;
  /** BREAK_REDELIVER_TIMES: lost acks per publish. */
  redeliverTimes: number;
  consumers: number;
  prefetch: number;
}

export interface DedupRunOptions extends DedupSetup {
  postgresUrl: string;
  redisUrl: string;
  rabbitmqUrl: string;
  /** After the first pass, republish orders 1..replay (0 = no replay). */
  replay?: number;
  /** Runs between the first pass and the replay: restart Redis here. */
  beforeReplay?: () => Promise<void>;
  /** Deadline for each pass to settle. */
  timeoutMs?: number;
}

export interface DedupRunResult extends DedupSetup {
  published: number;
  replayed: number;
  /** Shipments after the first pass (before any replay). */
  firstPass: ShipmentCounts;
  /** Shipments at the end. `duplicates` is the number that matters. */
  final: ShipmentCounts;
  consumer: ConsumerStats;
  /** From the first publish of the first pass until every publish was acked. */
  firstPassMs: number;
  elapsedMs: number;
}

let runs = 0;

/**
 * Start the order consumer in this process with one dedup setup, publish orders (with
 * copies and lost acks as asked), optionally replay them, and count shipments per order.
 * Every run has its own schema, queue and Redis key prefix, removed at the end.
 */
export async function runDedupExperiment(o: DedupRunOptions): Promise<DedupRunResult> {
  // The result repeats the setup, never the URLs and callbacks beside it.
  const {
    postgresUrl,
    redisUrl,
    rabbitmqUrl,
    replay,
    beforeReplay,
    timeoutMs = 30_000,
    ...setup
  } = o;
  const id = `${process.pid}_${++runs}_${Date.now().toString(36)}`;
  const schema = `poc74_run_${id}`;
  const queue = `poc74.run.${id}`;
  const keyPrefix = `poc74:run:${id}:`;
  const started = performance.now();
  const config = loadConfig({
    POSTGRES_URL: postgresUrl,
    REDIS_URL: redisUrl,
    RABBITMQ_URL: rabbitmqUrl,
    DB_SCHEMA: schema,
    QUEUE: queue,
    REDIS_KEY_PREFIX: keyPrefix,
    DEDUP_STRATEGY: o.strategy,
    PG_UNIQUE_GUARD: o.uniqueGuard ? '1' : '0',
    CONSUMERS: String(o.consumers),
    PREFETCH: String(o.prefetch),
    BREAK_REDELIVER_TIMES: String(o.redeliverTimes),
    LOG_LEVEL: 'silent',
  });
  let built: Awaited<ReturnType<typeof buildApp>> | undefined;
  try {
    built = await buildApp(config, {
      logger: silentLogger,
      registry: createRegistry({ poc: 'poc-74' }),
    });
    const { pool, db, publisher, consumer, redis } = built;
    const settle = (expected: number, what: string) =>
      waitFor(() => consumer.stats().settled >= expected, {
        timeoutMs,
        intervalMs: 20,
        description: `${what}: ${expected} publishes acked`,
      });

    await seedOrders(pool, db, o.orders);
    const all = Array.from({ length: o.orders }, (_, i) => ({
      orderId: i + 1,
      quantity: 1 + ((i + 1) % 5),
    }));
    const passStarted = performance.now();
    const published = await publisher.publish(all, o.copies);
    await settle(published, 'first pass');
    const firstPassMs = Math.round(performance.now() - passStarted);
    const firstPass = await shipmentCounts(pool, db);

    let replayed = 0;
    if (replay) {
      await beforeReplay?.();
      // ioredis reconnects by itself after a restart; replay only once it has.
      await waitFor(() => redis.status === 'ready', {
        timeoutMs: 10_000,
        description: 'the consumer to reconnect to Redis',
      });
      replayed = await publisher.publish(all.slice(0, replay));
      await settle(published + replayed, 'replay');
    }
    return {
      ...setup,
      published,
      replayed,
      firstPass,
      final: await shipmentCounts(pool, db),
      consumer: consumer.stats(),
      firstPassMs,
      elapsedMs: Math.round(performance.now() - started),
    };
  } finally {
    await built?.app.close();
    await cleanUp({ ...o, schema, queue, keyPrefix });
  }
}

async function cleanUp(o: {
  postgresUrl: string;
  redisUrl: string;
  rabbitmqUrl: string;
  schema: string;
  queue: string;
  keyPrefix: string;
}): Promise<void> {
  const client = new pg.Client({ connectionString: o.postgresUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${o.schema}" cascade`);
  } finally {
    await client.end();
  }
  const connection = await amqp.connect(o.rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(o.queue);
  } finally {
    await connection.close();
  }
  await deleteKeys(o.redisUrl, o.keyPrefix).catch(() => {
    // A private Redis may already be gone; it took its keys with it.
  });
}

/** Delete every key under a prefix (SCAN, never KEYS: the shared Redis has other tenants). */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    disconnectTimeout: 0,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}
