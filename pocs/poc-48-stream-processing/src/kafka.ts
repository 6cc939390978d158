import { createTopicsReady, deleteTopicsGone } from '@pocs/kafka';
import type { Admin } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** e.g. cleanup.policy=compact for a changelog. */
  configs?: Record<string, string>;
}

/**
 * Create the topics that do not exist yet and wait until they take writes on every broker.
 * No replication factor: the broker default applies (1 on a single broker, 3 on the cluster).
 */
export async function ensureTopics(admin: Admin, topics: TopicSpec[]): Promise<void> {
  await createTopicsReady(
    admin,
    topics.map((t) => ({
      topic: t.topic,
      numPartitions: t.partitions,
      configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
  );
}

/** Delete topics, ignoring the ones already gone; resolves once no broker lists them. */
export const deleteTopics = (admin: Admin, topics: string[]): Promise<void> =>
  deleteTopicsGone(admin, topics);

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
