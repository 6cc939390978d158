import { randomUUID } from 'node:crypto';
import { createTopicsReady, deleteTopicsGone, kafkaLogCreator } from '@pocs/kafka';
import type { Logger } from '@pocs/shared/log';
import { type Admin, Kafka, logLevel } from 'kafkajs';

export const parseBrokers = (brokers: string): string[] =>
  brokers
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);

/** Unique per run, so tests and benches never read each other's topics or groups. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

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
    ...(logger ? { logCreator: kafkaLogCreator(logger) } : {}),
  });
}

/**
 * Create a topic with the broker's default replication factor (1 on one broker, 3 on the
 * cluster), so the same code runs on both, and wait until it takes writes: producing
 * earlier on the cluster fails with NOT_ENOUGH_REPLICAS (after the leader appended!), and
 * a non-idempotent retry then writes duplicates.
 */
export async function createTopic(admin: Admin, topic: string, numPartitions: number) {
  await createTopicsReady(admin, [{ topic, numPartitions }]);
}

/** Best effort and waits until no broker lists them: a leftover topic is not a failure. */
export async function deleteTopics(admin: Admin, topics: string[]) {
  await deleteTopicsGone(admin, topics).catch(() => {});
}
