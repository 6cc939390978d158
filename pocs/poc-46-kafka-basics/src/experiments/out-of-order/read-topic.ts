import { randomUUID } from 'node:crypto';
import { waitFor } from '@pocs/shared/wait';
import type { Kafka } from 'kafkajs';

export interface TopicRecord {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/**
 * Read a topic from the beginning up to the high watermarks measured when called, in
 * log order per partition: exactly what any consumer of the topic would be handed.
 */
export async function readWholeTopic(
  kafka: Kafka,
  topic: string,
  { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `ooo-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  try {
    const highs = new Map(
      (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]),
    );
    const records: TopicRecord[] = [];
    const nextOffset = new Map<number, number>();
    const caughtUp = () => [...highs].every(([p, high]) => (nextOffset.get(p) ?? 0) >= high);
    if (!caughtUp()) {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const offset = Number(message.offset);
          records.push({
            partition,
            offset,
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
          });
          nextOffset.set(partition, offset + 1);
        },
      });
      await waitFor(caughtUp, {
        timeoutMs,
        description: `reading ${topic} up to its high watermarks`,
      });
    }
    return records;
  } finally {
    await consumer.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}
