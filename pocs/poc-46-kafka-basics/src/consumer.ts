import type { Logger } from '@pocs/shared/log';
import { Counter, type Registry } from '@pocs/shared/metrics';
import type { InstrumentedPool } from '@pocs/shared/pool';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { decodeOrderEvent, type OrderEvent } from './order.ts';
import { insertOrders, type LogPosition, type Tables } from './store.ts';

export interface ConsumerStats {
  batches: number;
  records: number;
  inserted: number;
  /** Records whose order_id was already in Postgres: redeliveries the unique index absorbed. */
  duplicatesSuppressed: number;
  /** Records that are not an order event: skipped (and committed) so they cannot block a partition. */
  poison: number;
  /** Offset commits that succeeded (one per batch). */
  commits: number;
  /** Batches whose DB write or offset commit failed: kafkajs restarts and they come again. */
  failedBatches: number;
  crashes: number;
  /** Times the group was rewound to the earliest offset (POST /consumer/rewind). */
  rewinds: number;
}

export interface OrderConsumer {
  stats(): ConsumerStats;
  /** Stop, move the group's committed offsets to the start of every partition, start again. */
  rewind(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * At-least-once consumer: a batch is written to Postgres in one transaction and only then
 * is its offset committed. A crash, a broker restart or a rebalance between the two makes
 * Kafka deliver the batch again, so the write must be idempotent (unique order_id).
 */
export async function startOrderConsumer(o: {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  groupId: string;
  pool: InstrumentedPool;
  db: Tables;
  uniqueOrderId: boolean;
  registry: Registry;
  logger: Logger;
}): Promise<OrderConsumer> {
  const records = new Counter({
    name: 'orders_consumed_records_total',
    help: 'Order records consumed, by result (inserted, duplicate = absorbed by the unique index, poison = skipped)',
    labelNames: ['result'],
    registers: [o.registry],
  });
  const commits = new Counter({
    name: 'orders_offset_commits_total',
    help: 'Offset commits after a batch was written to Postgres, by result (ok, failed)',
    labelNames: ['result'],
    registers: [o.registry],
  });
  const stats: ConsumerStats = {
    batches: 0,
    records: 0,
    inserted: 0,
    duplicatesSuppressed: 0,
    poison: 0,
    commits: 0,
    failedBatches: 0,
    crashes: 0,
    rewinds: 0,
  };

  const handleBatch = async ({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload) => {
    if (batch.isEmpty() || isStale()) return;
    const events: Array<OrderEvent & LogPosition> = [];
    for (const message of batch.messages) {
      const event = decodeOrderEvent(message.value);
      if (event) events.push({ ...event, partition: batch.partition, offset: message.offset });
      else {
        stats.poison++;
        records.inc({ result: 'poison' });
        o.logger.warn(
          { partition: batch.partition, offset: message.offset },
          'not an order event: skipped',
        );
      }
    }
    const last = batch.lastOffset();
    try {
      const written = await o.pool.withClient(async (client) => {
        await client.query('begin');
        try {
          const r = await insertOrders(client, o.db, events, o.uniqueOrderId);
          await client.query('commit');
          return r;
        } catch (err) {
          await client.query('rollback');
          throw err;
        }
      });
      // Counted as soon as Postgres has them, before the commit below: whoever sees the
      // offset committed (lag 0) must also see these rows counted.
      stats.batches++;
      stats.records += batch.messages.length;
      stats.inserted += written.inserted;
      stats.duplicatesSuppressed += written.duplicatesSuppressed;
      records.inc({ result: 'inserted' }, written.inserted);
      records.inc({ result: 'duplicate' }, written.duplicatesSuppressed);
      // Only now is the batch durable in Postgres: the offset is the promise "everything
      // before this is done". The committed offset is the NEXT record to read: last + 1.
      resolveOffset(last);
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: String(BigInt(last) + 1n) },
      ]);
      commits.inc({ result: 'ok' });
      stats.commits++;
      await heartbeat();
    } catch (err) {
      stats.failedBatches++;
      commits.inc({ result: 'failed' });
      o.logger.warn(
        { err, partition: batch.partition, firstOffset: batch.firstOffset(), lastOffset: last },
        'batch not committed: it will be delivered again',
      );
      throw err;
    }
  };

  let consumer: Consumer;
  const start = async () => {
    consumer = o.kafka.consumer({
      groupId: o.groupId,
      // Short session: a stopped test consumer's partitions move on within seconds.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
      // Keep retrying through a broker restart; after the retries a crash restarts the consumer.
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 3_000 },
    });
    consumer.on(consumer.events.CRASH, (e) => {
      stats.crashes++;
      o.logger.warn({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      o.logger.info(
        {
          groupId: o.groupId,
          durationMs: e.payload.duration,
          assignment: e.payload.memberAssignment,
        },
        'joined the consumer group',
      );
    });
    await consumer.connect();
    // A new group starts at the earliest offset: no order written before the consumer is skipped.
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: handleBatch });
  };
  await start();

  return {
    stats: () => ({ ...stats }),
    async rewind() {
      await consumer.disconnect();
      // Only possible while the group has no members: that is why the consumer stops first.
      await o.admin.resetOffsets({ groupId: o.groupId, topic: o.topic, earliest: true });
      stats.rewinds++;
      o.logger.warn(
        { groupId: o.groupId, topic: o.topic },
        'group rewound to the earliest offsets',
      );
      await start();
    },
    async stop() {
      await consumer.disconnect();
    },
  };
}
