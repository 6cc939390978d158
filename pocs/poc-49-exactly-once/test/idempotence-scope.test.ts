import { createKafka } from '@pocs/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientRetry } from '../src/kafka.ts';
import { encodeRecord, summarizeOutput } from '../src/records.ts';
import { startTopicReader } from '../src/topic-reader.ts';
import { createTopics, deleteRunArtifacts, lastStableOffsets, runId } from '../src/topics.ts';
import { brokers } from './services.ts';

const id = runId();
const topic = `poc49.resend.${id}`;
const groupId = `poc49-resend-${id}`;
const kafka = createKafka({ brokers, clientId: 'poc49-test', retry: clientRetry });
const admin = kafka.admin();

beforeAll(async () => {
  await admin.connect();
  await createTopics(admin, [{ topic, numPartitions: 1 }]);
});

afterAll(async () => {
  await deleteRunArtifacts(admin, { topics: [topic], groups: [groupId] });
  await admin.disconnect();
});

describe('what idempotent: true does not do', () => {
  it('an application-level resend of the same message is written twice', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const order = { partition: 0, key: 'order-42', value: encodeRecord({ p: 0, seq: 42 }) };
    // The app timed out waiting for the ack and sent again. Each send() is a new batch with
    // the next sequence number, so the broker sees two different writes and keeps both.
    await producer.send({ topic, acks: -1, messages: [order] });
    await producer.send({ topic, acks: -1, messages: [order] });
    await producer.disconnect();

    const reader = await startTopicReader(kafka, { topic, groupId });
    try {
      await reader.waitForPositions(await lastStableOffsets(admin, topic), 30_000);
      const copies = reader.byPartition().get(0) ?? [];
      expect(copies).toEqual([
        { p: 0, seq: 42 },
        { p: 0, seq: 42 },
      ]);
      const s = summarizeOutput([0], reader.byPartition());
      expect(s.records - s.unique).toBe(1);
    } finally {
      await reader.stop();
    }
  });
});
