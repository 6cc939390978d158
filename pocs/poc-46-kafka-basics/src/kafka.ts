import type { Logger } from '@pocs/shared/log';
import { waitFor } from '@pocs/shared/wait';
import { type Admin, Kafka, type LogEntry, logLevel } from 'kafkajs';

/** kafkajs logs through pino: object first, message second, at the matching level. */
function pinoLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...fields } = log;
      const entry = { kafkajs: true, ...fields };
      if (level === logLevel.ERROR) logger.error(entry, message);
      else if (level === logLevel.WARN) logger.warn(entry, message);
      else if (level === logLevel.INFO) logger.debug(entry, message);
      else logger.trace(entry, message);
    };
}

export function createKafka({
  brokers,
  clientId,
  logger,
  retries = 5,
}: {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Client-level retries (admin, metadata); producer and consumer set their own. */
  retries?: number;
}): Kafka {
  return new Kafka({
    brokers,
    clientId,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
    connectionTimeout: 1_000,
    retry: { retries, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
}

/**
 * Create the topic if it does not exist. No replication factor: the broker's default
 * applies (1 on one broker, 3 on the cluster), so the same code runs on both.
 */
export async function ensureTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  {
    adminFor,
    timeoutMs = 30_000,
  }: {
    /** An admin client that talks to this one broker only (its seed list is just it). */
    adminFor: (broker: string) => Admin;
    timeoutMs?: number;
  },
): Promise<void> {
  // waitForLeaders (kafkajs' default) asks one broker and fails on UNKNOWN_TOPIC_OR_PARTITION.
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions }],
    waitForLeaders: false,
  });
  // On a cluster the new topic reaches each broker's metadata cache a little later; a
  // consumer that asks a broker too early crashes, and its restarted member then waits a
  // whole session timeout to join. So wait until every broker knows every partition's leader.
  const { brokers } = await admin.describeCluster();
  const seen = await Promise.all(
    brokers.map(async (b) => {
      const one = adminFor(`${b.host}:${b.port}`);
      await one.connect();
      try {
        return await waitFor(
          async () => {
            const [t] = (await one.fetchTopicMetadata({ topics: [topic] })).topics;
            return t?.partitions.every((p) => p.leader >= 0) ? t.partitions.length : undefined;
          },
          {
            timeoutMs,
            intervalMs: 100,
            description: `broker ${b.host}:${b.port} to know the leaders of ${topic}`,
          },
        );
      } finally {
        await one.disconnect();
      }
    }),
  );
  const actual = seen[0] ?? 0;
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
