import { createTopicsReady, deleteTopicsGone } from '@pocs/kafka';
import type { Admin } from 'kafkajs';

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
