import { createTopicsReady } from '@pocs/kafka';
import type { Logger } from '@pocs/shared/log';
import type { Admin } from 'kafkajs';

/**
 * Create the topic with `partitions` partitions if it is missing, and wait until it takes
 * writes on every broker. No replicationFactor: the broker default applies (1 on a single
 * broker, 3 on the cluster).
 */
export async function ensureTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  logger: Logger,
): Promise<void> {
  const counts = await createTopicsReady(admin, [{ topic, numPartitions: partitions }]);
  const actual = counts.get(topic) ?? 0;
  if (actual !== partitions) {
    logger.warn(
      { topic, configured: partitions, actual },
      `topic ${topic} exists with ${actual} partitions, not PARTITIONS=${partitions}`,
    );
  }
}
