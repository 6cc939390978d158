import type { Logger } from '@pocs/shared/log';
import { waitFor } from '@pocs/shared/wait';
import type { Admin } from 'kafkajs';

/**
 * Create the topic with `partitions` partitions if it is missing. No replicationFactor:
 * the broker default applies (1 on a single broker, 3 on the cluster).
 */
export async function ensureTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  logger: Logger,
): Promise<void> {
  // waitForLeaders is off: on a cluster, kafkajs asks a broker whose metadata cache may not
  // know the topic yet and fails with UNKNOWN_TOPIC_OR_PARTITION. Poll instead.
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions }],
    waitForLeaders: false,
  });
  const meta = await waitFor(
    async () => {
      const m = await admin.fetchTopicMetadata({ topics: [topic] });
      const ps = m.topics[0]?.partitions ?? [];
      return ps.length > 0 && ps.every((p) => p.leader >= 0) ? m : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, description: `leaders for every partition of ${topic}` },
  );
  // ListOffsets goes to each partition's leader: once it answers, every leader hosts its
  // partition, so the first produce is not refused (and retried, which can duplicate).
  await waitFor(() => admin.fetchTopicOffsets(topic).then(() => true), {
    timeoutMs: 30_000,
    intervalMs: 200,
    description: `every leader of ${topic} to answer ListOffsets`,
  });
  const actual = meta.topics[0]?.partitions.length ?? 0;
  if (actual !== partitions) {
    logger.warn(
      { topic, configured: partitions, actual },
      `topic ${topic} exists with ${actual} partitions, not PARTITIONS=${partitions}`,
    );
  }
}
