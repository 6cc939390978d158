import type { Logger } from '@pocs/shared/log';
import { waitFor } from '@pocs/shared/wait';
import { type Admin, Kafka, logLevel } from 'kafkajs';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose logs go to pino (warnings and up: its info level is chatty). */
export function createKafka(brokers: string[], clientId: string, logger: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }) => {
        const { message, ...extra } = log;
        logger[levels[level] ?? 'info']({ namespace, ...extra }, `kafkajs: ${message}`);
      },
  });
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** e.g. cleanup.policy=compact for a changelog. */
  configs?: Record<string, string>;
}

/**
 * Create the topics that do not exist yet. No replication factor: the broker default
 * applies (1 on a single broker, 3 on the cluster).
 */
export async function ensureTopics(admin: Admin, topics: TopicSpec[]): Promise<void> {
  await admin.createTopics({
    // kafkajs' own wait gives up when a broker of a cluster does not know the new topic
    // yet (UNKNOWN_TOPIC_OR_PARTITION); poll the metadata ourselves instead.
    waitForLeaders: false,
    topics: topics.map((t) => ({
      topic: t.topic,
      numPartitions: t.partitions,
      configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
  const names = topics.map((t) => t.topic);
  await waitFor(
    async () => {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
      return meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
    },
    { timeoutMs: 30_000, intervalMs: 100, description: `leaders for ${names.join(', ')}` },
  );
}

/** Delete topics, ignoring the ones already gone. */
export async function deleteTopics(admin: Admin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const mine = topics.filter((t) => existing.has(t));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine });
}

/** Committed offsets of a group on a topic, by partition (-1 = nothing committed yet). */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

/** End offsets (high watermarks) of a topic, by partition. */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}
