import { Producer } from '@platformatic/kafka';
import { waitFor } from '@pocs/shared/wait';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecNames, kafkajsCompression, registerKafkajsCodecs } from '../src/codecs.ts';
import { createKafka, createTopic, deleteTopics, parseBrokers, uniqueName } from '../src/kafka.ts';
import { brokers } from './services.ts';

// Partition i of each topic holds only batches compressed with codec i, so a failure names its codec.
const fromKafkajs = uniqueName('poc50-codecs-kafkajs');
const fromPlatformatic = uniqueName('poc50-codecs-platformatic');
/** @platformatic/kafka needs node:zlib's zstd (Node ≥ 22.15) for zstd; on Node 20 it has the rest. */
const platformaticCodecs = ['none', 'gzip', 'lz4'] as const;
const perCodec = 25;
const kafka = createKafka({ brokers, clientId: 'poc50-codecs-test' });
let admin: Admin;

// JSON with repeated field names: compressible, like real events.
const eventJson = (codec: string, i: number) =>
  JSON.stringify({
    codec,
    i,
    type: 'order.created',
    customer: `c-${i % 7}`,
    note: 'x'.repeat(i * 40),
  });

beforeAll(async () => {
  await registerKafkajsCodecs();
  admin = kafka.admin();
  await admin.connect();
  await createTopic(admin, fromKafkajs, codecNames.length);
  await createTopic(admin, fromPlatformatic, platformaticCodecs.length);
});

afterAll(async () => {
  await deleteTopics(admin, [fromKafkajs, fromPlatformatic]);
  await admin.disconnect();
});

/** Read every message of the topics with a kafkajs consumer: partition → values in order. */
async function readAll(topics: string[], expected: number) {
  const received = new Map<string, string[]>();
  let count = 0;
  const consumer = kafka.consumer({ groupId: uniqueName('poc50-codecs') });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const key = `${topic}/${partition}`;
      received.set(key, [...(received.get(key) ?? []), message.value?.toString() ?? '']);
      count++;
    },
  });
  try {
    await waitFor(() => count >= expected, {
      timeoutMs: 30_000,
      intervalMs: 50,
      description: `${expected} messages`,
    });
  } finally {
    await consumer.disconnect();
  }
  return { received, count };
}

describe('compression codecs', () => {
  it('kafkajs round-trips none, gzip, lz4 and zstd batches through the broker', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (const [partition, codec] of codecNames.entries()) {
      await producer.send({
        topic: fromKafkajs,
        compression: kafkajsCompression[codec],
        messages: Array.from({ length: perCodec }, (_, i) => ({
          partition,
          value: eventJson(codec, i),
        })),
      });
    }
    await producer.disconnect();

    const { received, count } = await readAll([fromKafkajs], perCodec * codecNames.length);
    expect(count).toBe(perCodec * codecNames.length);
    for (const [partition, codec] of codecNames.entries()) {
      expect(received.get(`${fromKafkajs}/${partition}`)).toEqual(
        Array.from({ length: perCodec }, (_, i) => eventJson(codec, i)),
      );
    }
  });

  it("kafkajs reads @platformatic/kafka's gzip and lz4 batches (same wire format)", async () => {
    const producer = new Producer({
      clientId: 'poc50-codecs-test',
      bootstrapBrokers: parseBrokers(brokers),
      idempotent: true,
    });
    for (const [partition, codec] of platformaticCodecs.entries()) {
      await producer.send({
        compression: codec,
        messages: Array.from({ length: perCodec }, (_, i) => ({
          topic: fromPlatformatic,
          partition,
          value: Buffer.from(eventJson(codec, i)),
        })),
      });
    }
    await producer.close();

    const expected = perCodec * platformaticCodecs.length;
    const { received, count } = await readAll([fromPlatformatic], expected);
    expect(count).toBe(expected);
    for (const [partition, codec] of platformaticCodecs.entries()) {
      expect(received.get(`${fromPlatformatic}/${partition}`)).toEqual(
        Array.from({ length: perCodec }, (_, i) => eventJson(codec, i)),
      );
    }
  });
});
