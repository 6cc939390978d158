import { createTopicsReady, type KafkaClientOptions } from '@pocs/kafka';
import type { Admin } from 'kafkajs';

/**
 * The service's client settings for `createKafka` (@pocs/kafka): a 1 s connection timeout,
 * and client-level retries (admin, metadata) with backoff up to 5 s; producer and consumer
 * set their own.
 */
export const serviceClientSettings = {
  connectionTimeout: 1_000,
  retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
} satisfies Partial<KafkaClientOptions>;

/**
 * Create the topic if it does not exist. No replication factor: the broker's default
 * applies (1 on one broker, 3 on the cluster), so the same code runs on both. Waits until
 * every broker knows every partition's leader: a consumer that asks a broker too early
 * crashes, and its restarted member then waits a whole session timeout to join.
 */
export async function ensureTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  const counts = await createTopicsReady(admin, [{ topic, numPartitions: partitions }]);
  const actual = counts.get(topic) ?? 0;
  if (actual !== partitions) {
    throw new Error(
      `topic ${topic} exists with ${actual} partitions, config says ${partitions}: ` +
        'keys would map to other partitions than this service computes; use another TOPIC',
    );
  }
}

export interface PartitionLag {
  partition: number;
  /** Offset of the first retained record. */
  low: number;
  /** Offset the next record will get (the log-end offset): how many were ever written. */
  high: number;
  /** The group's committed offset: the next record the group will read (-1: none yet). */
  committed: number;
  /** high - committed: records written and not yet committed by the group. */
  lag: number;
}

/** Offsets per partition, as `kafka-consumer-groups --describe` shows them. */
export async function describeLag(
  admin: Admin,
  topic: string,
  groupId: string,
): Promise<PartitionLag[]> {
  const [ends, groupOffsets] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const committed = new Map(
    (groupOffsets[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
  );
  return ends
    .map((end) => {
      const low = Number(end.low);
      const high = Number(end.high);
      const c = committed.get(end.partition) ?? -1;
      return {
        partition: end.partition,
        low,
        high,
        committed: c,
        lag: high - (c < 0 ? low : c),
      };
    })
    .sort((a, b) => a.partition - b.partition);
}

export const totalLag = (lags: PartitionLag[]): number => lags.reduce((s, p) => s + p.lag, 0);
