import { randomUUID } from 'node:crypto';
import { serviceDefaults } from '@pocs/shared/config';
import { Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from '../src/client.ts';
import { createTopicsReady, deleteTopicsGone } from '../src/topics.ts';

// Against the shared broker(s): in CI that is the 3-node cluster, where the race these helpers
// hide (a broker asked before its metadata cache knows the new topic) actually happens.

const brokers = process.env.KAFKA_BROKERS || serviceDefaults.KAFKA_BROKERS;
const kafka = createKafka({ brokers, clientId: 'kafka-adapter-topics-test' });
const admin = kafka.admin();
afterAll(() => admin.disconnect());

describe('createTopicsReady / deleteTopicsGone', () => {
  it('a created topic takes writes at once, 10 times in a row; deleted ones are gone', async () => {
    await admin.connect();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const names = Array.from({ length: 10 }, () => `shared-topics-${randomUUID()}`);
    try {
      for (const topic of names) {
        const counts = await createTopicsReady(admin, [{ topic, numPartitions: 3 }]);
        expect(counts.get(topic)).toBe(3);
        const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
        expect(meta?.partitions).toHaveLength(3);
        for (const p of meta?.partitions ?? []) expect(p.isr).toHaveLength(p.replicas.length);
        const acks = await producer.send({ topic, acks: -1, messages: [{ value: 'x' }] });
        expect(acks[0]?.errorCode).toBe(0);
      }
      // An existing topic is kept: the count returned is the one it has, not the one asked.
      const again = await createTopicsReady(admin, [{ topic: names[0]!, numPartitions: 5 }]);
      expect(again.get(names[0]!)).toBe(3);
    } finally {
      await producer.disconnect();
      await deleteTopicsGone(admin, names);
    }
    const listed = await admin.listTopics();
    expect(names.filter((n) => listed.includes(n))).toEqual([]);
    // Deleting what is not there is a no-op, not an error.
    await expect(deleteTopicsGone(admin, names)).resolves.toBeUndefined();
  }, 120_000);
});
