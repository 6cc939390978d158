import { randomUUID } from 'node:crypto';
import type { Logger } from '@pocs/shared/log';
import { waitFor } from '@pocs/shared/wait';
import { type Admin, Kafka, type logCreator, logLevel } from 'kafkajs';

export const parseBrokers = (brokers: string): string[] =>
  brokers
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);

/** Unique per run, so tests and benches never read each other's topics or groups. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

// kafkajs logs through its own logger; route warnings and errors into pino, drop the rest.
const pinoLogCreator =
  (logger: Logger): logCreator =>
  () =>
  ({ level, log }) => {
    const { message, ...extra } = log;
    if (level === logLevel.ERROR) logger.error({ kafkajs: extra }, message);
    else if (level === logLevel.WARN) logger.warn({ kafkajs: extra }, message);
  };

export function createKafka({
  brokers,
  clientId,
  logger,
}: {
  brokers: string;
  clientId: string;
  /** Without a logger kafkajs stays silent (benches print their own progress). */
  logger?: Logger;
}): Kafka {
  return new Kafka({
    clientId,
    brokers: parseBrokers(brokers),
    logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
    ...(logger ? { logCreator: pinoLogCreator(logger) } : {}),
  });
}

/**
 * Create a topic with the broker's default replication factor (1 on one broker, 3 on the
 * cluster), so the same code runs on both, and wait until every partition has a leader
 * and its full ISR. Producing earlier on the cluster fails with NOT_ENOUGH_REPLICAS
 * (after the leader appended!), and a non-idempotent retry then writes duplicates.
 */
export async function createTopic(admin: Admin, topic: string, numPartitions: number) {
  // waitForLeaders is not enough on a cluster: kafkajs gives up when a broker that has not
  // seen the topic yet answers UNKNOWN_TOPIC_OR_PARTITION.
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: false });
  await waitFor(
    async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = topics[0]?.partitions ?? [];
      return (
        partitions.length === numPartitions &&
        partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length)
      );
    },
    {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: `topic ${topic} to have leaders and full ISRs`,
    },
  );
}

export async function deleteTopics(admin: Admin, topics: string[]) {
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => {});
}
