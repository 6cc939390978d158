import { randomUUID } from 'node:crypto';
import { createTopicsReady, deleteTopicsGone } from '@pocs/kafka';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KAFKA_DEFAULT_BROKERS } from '../src/kafka.ts';
import { waitFor } from '../src/wait.ts';

// Proves that `pnpm services up kafka` yields a broker kafkajs can produce to and consume from.
// Uses the shared broker, so the topic and group names are unique to this run.

const brokers = (process.env.KAFKA_BROKERS || KAFKA_DEFAULT_BROKERS).split(',');

describe('kafka', () => {
  it('round-trips 100 messages through a fresh topic', async () => {
    const kafka = new Kafka({ clientId: 'infra-test', brokers, logLevel: logLevel.NOTHING });
    const topic = `infra-roundtrip-${randomUUID()}`;
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const consumer = kafka.consumer({ groupId: `infra-test-${randomUUID()}` });
    await admin.connect();
    try {
      await createTopicsReady(admin, [{ topic, numPartitions: 3 }]);

      await producer.connect();
      const sent = Array.from({ length: 100 }, (_, i) => ({
        key: `k${i % 7}`,
        value: `message-${i}`,
      }));
      await producer.send({ topic, messages: sent, acks: -1 });

      const received: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message.value?.toString() ?? '');
        },
      });
      await waitFor(
        async () => {
          if (received.length < 100) throw new Error(`received ${received.length}/100`);
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );

      expect(received.length).toBe(100);
      expect([...received].sort()).toEqual(sent.map((m) => m.value).sort());
    } finally {
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      await deleteTopicsGone(admin, [topic]);
      const remaining = await admin.listTopics();
      await admin.disconnect();
      expect(remaining).not.toContain(topic);
    }
  });
});
