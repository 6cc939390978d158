import { Consumer, MessagesStreamModes, Producer } from '@platformatic/kafka';
import { createKafka, parseBrokers, uniqueName } from '@pocs/kafka';
import { waitFor } from '@pocs/shared/wait';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CodecName,
  codecNames,
  kafkajsCompression,
  registerKafkajsCodecs,
} from '../src/codecs.ts';
import { createTopic, deleteTopics } from '../src/kafka.ts';
import { brokers } from './services.ts';

// Partition i of each topic holds only batches compressed with codec i, so a failure names its codec.
const fromKafkajs = uniqueName('poc50-codecs-kafkajs');
const fromPlatformatic = uniqueName('poc50-codecs-platformatic');
const perCodec = 25;
const expected = perCodec * codecNames.length;
const kafka = createKafka({ brokers, clientId: 'poc50-codecs-test' });
let admin: Admin;

/** The codec id in the low 3 bits of a record batch's attributes (Kafka protocol, KIP-110 added 4). */
const wireCodecId: Record<CodecName, number> = { none: 0, gzip: 1, lz4: 3, zstd: 4 };

// JSON with repeated field names: compressible, like real events.
const eventJson = (codec: string, i: number) =>
  JSON.stringify({
    codec,
    i,
    type: 'order.created',
    customer: `c-${i % 7}`,
    note: 'x'.repeat(i * 40),
  });
const expectedValues = (codec: CodecName) =>
  Array.from({ length: perCodec }, (_, i) => eventJson(codec, i));

beforeAll(async () => {
  registerKafkajsCodecs();
  admin = kafka.admin();
  await admin.connect();
  await createTopic(admin, fromKafkajs, codecNames.length);
  await createTopic(admin, fromPlatformatic, codecNames.length);
});

afterAll(async () => {
  await deleteTopics(admin, [fromKafkajs, fromPlatformatic]);
  await admin.disconnect();
});

type ByPartition = Map<number, string[]>;
const push = (map: ByPartition, partition: number, value: string) =>
  map.set(partition, [...(map.get(partition) ?? []), value]);

/** Every message of the topic through a kafkajs consumer group: partition → values in order. */
async function readWithKafkajs(topic: string): Promise<ByPartition> {
  const received: ByPartition = new Map();
  let count = 0;
  const consumer = kafka.consumer({ groupId: uniqueName('poc50-codecs-kafkajs') });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      push(received, partition, message.value?.toString() ?? '');
      count++;
    },
  });
  try {
    await waitFor(() => count >= expected, {
      timeoutMs: 30_000,
      intervalMs: 50,
      description: `kafkajs reads ${expected} messages`,
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

/** The same through a @platformatic/kafka consumer group (its own decompressors). */
async function readWithPlatformatic(topic: string): Promise<ByPartition> {
  const received: ByPartition = new Map();
  let count = 0;
  const consumer = new Consumer({
    clientId: 'poc50-codecs-test',
    groupId: uniqueName('poc50-codecs-platformatic'),
    bootstrapBrokers: parseBrokers(brokers),
  });
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.EARLIEST,
    autocommit: false,
  });
  stream.on('data', (message) => {
    push(received, message.partition, message.value.toString());
    count++;
  });
  try {
    await waitFor(() => count >= expected, {
      timeoutMs: 30_000,
      intervalMs: 50,
      description: `@platformatic/kafka reads ${expected} messages`,
    });
  } finally {
    await stream.close();
    await consumer.close(true);
  }
  return received;
}

/**
 * What the broker stores: each partition's record batches fetched raw from its leader,
 * as [codec id from the batch attributes, records in the batch]. A codec that silently
 * sent plain batches would still round-trip; this catches it.
 */
async function storedBatches(topic: string): Promise<Map<number, [number, number][]>> {
  const consumer = new Consumer({
    clientId: 'poc50-codecs-test',
    groupId: uniqueName('poc50-codecs-raw'),
    bootstrapBrokers: parseBrokers(brokers),
  });
  try {
    const metadata = await consumer.metadata({ topics: [topic] });
    const meta = metadata.topics.get(topic);
    if (!meta) throw new Error(`no metadata for ${topic}`);
    const stored = new Map<number, [number, number][]>();
    for (const [partition, { leader, leaderEpoch }] of meta.partitions.entries()) {
      const response = await consumer.fetch({
        node: leader,
        maxWaitTime: 100,
        topics: [
          {
            topicId: meta.id,
            partitions: [
              {
                partition,
                currentLeaderEpoch: leaderEpoch,
                fetchOffset: 0n,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 1_048_576,
              },
            ],
          },
        ],
      });
      const batches = response.responses[0]?.partitions[0]?.records ?? [];
      stored.set(
        partition,
        batches.map((b) => [b.attributes & 0x07, b.records.length]),
      );
    }
    return stored;
  } finally {
    await consumer.close(true);
  }
}

function expectEveryCodec(topic: string, stored: Map<number, [number, number][]>) {
  for (const [partition, codec] of codecNames.entries()) {
    const batches = stored.get(partition) ?? [];
    expect(
      new Set(batches.map(([id]) => id)),
      `${topic}/${partition} (${codec}) codec ids`,
    ).toEqual(new Set([wireCodecId[codec]]));
    expect(
      batches.reduce((sum, [, records]) => sum + records, 0),
      `${topic}/${partition} (${codec}) records`,
    ).toBe(perCodec);
  }
}

function expectEveryMessage(received: ByPartition, reader: string) {
  expect([...received.values()].flat().length, `${reader}: messages read`).toBe(expected);
  for (const [partition, codec] of codecNames.entries())
    expect(received.get(partition), `${reader}: partition ${partition} (${codec})`).toEqual(
      expectedValues(codec),
    );
}

describe('compression codecs', () => {
  it('kafkajs writes none, gzip, lz4 and zstd batches that both clients read back exactly', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const [partition, codec] of codecNames.entries()) {
        await producer.send({
          topic: fromKafkajs,
          compression: kafkajsCompression[codec],
          messages: expectedValues(codec).map((value) => ({ partition, value })),
        });
      }
    } finally {
      await producer.disconnect();
    }

    expectEveryCodec(fromKafkajs, await storedBatches(fromKafkajs));
    expectEveryMessage(await readWithKafkajs(fromKafkajs), 'kafkajs');
    expectEveryMessage(await readWithPlatformatic(fromKafkajs), '@platformatic/kafka');
  });

  it('@platformatic/kafka writes none, gzip, lz4 and zstd batches that both clients read back exactly', async () => {
    const producer = new Producer({
      clientId: 'poc50-codecs-test',
      bootstrapBrokers: parseBrokers(brokers),
      idempotent: true,
    });
    try {
      for (const [partition, codec] of codecNames.entries()) {
        await producer.send({
          compression: codec,
          messages: expectedValues(codec).map((value) => ({
            topic: fromPlatformatic,
            partition,
            value: Buffer.from(value),
          })),
        });
      }
    } finally {
      await producer.close();
    }

    expectEveryCodec(fromPlatformatic, await storedBatches(fromPlatformatic));
    expectEveryMessage(await readWithKafkajs(fromPlatformatic), 'kafkajs');
    expectEveryMessage(await readWithPlatformatic(fromPlatformatic), '@platformatic/kafka');
  });
});
