import { waitFor } from '@pocs/shared/wait';
import { type Admin, Kafka, logLevel } from 'kafkajs';

/**
 * Create a topic (broker-default replication factor) and wait until EVERY broker's
 * metadata shows a leader for each partition. Producing earlier gets "This server does not
 * host this topic-partition" from a broker that has not caught up; kafkajs then retries the
 * whole multi-broker send, and we saw it write partitions that had already succeeded a
 * second time. (kafkajs' own `waitForLeaders` asks one broker and can give up with
 * UNKNOWN_TOPIC_OR_PARTITION on a cluster.)
 */
export async function createTopicAndWait(
  admin: Admin,
  topic: string,
  numPartitions: number,
  timeoutMs = 30_000,
): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: false });
  const { brokers } = await admin.describeCluster();
  for (const { host, port } of brokers) {
    const single = new Kafka({ brokers: [`${host}:${port}`], logLevel: logLevel.NOTHING }).admin();
    await single.connect();
    try {
      await waitFor(
        async () => {
          const { topics } = await single.fetchTopicMetadata({ topics: [topic] });
          const partitions = topics[0]?.partitions ?? [];
          return partitions.length === numPartitions && partitions.every((p) => p.leader >= 0);
        },
        {
          timeoutMs,
          intervalMs: 100,
          description: `${host}:${port} to know the ${numPartitions} partitions of ${topic}`,
        },
      );
    } finally {
      await single.disconnect();
    }
  }
}
