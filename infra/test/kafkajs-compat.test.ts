import { randomUUID } from 'node:crypto';
import { createTopicsReady, deleteTopicsGone } from '@pocs/kafka';
import { type Consumer, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_DEFAULT_BROKERS } from '../src/kafka.ts';
import { KAFKA_VERSION } from '../src/versions.ts';
import { waitFor } from '../src/wait.ts';

// kafkajs 2.2.4 predates Kafka 4 (which dropped old protocol versions). Every call the POCs
// make is exercised here against the broker `pnpm services up` runs, so a Kafka bump that
// breaks the client fails here, not somewhere in a POC's experiment.

const brokers = (process.env.KAFKA_BROKERS || KAFKA_DEFAULT_BROKERS).split(',');
const kafka = new Kafka({ clientId: 'kafkajs-compat', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const run = randomUUID().slice(0, 8);
const input = `compat-in-${run}`;
const output = `compat-out-${run}`;
const consumers: Consumer[] = [];

beforeAll(async () => {
  await admin.connect();
  await createTopicsReady(admin, [
    { topic: input, numPartitions: 3 },
    { topic: output, numPartitions: 1 },
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})));
  await deleteTopicsGone(admin, [input, output]);
  await admin.disconnect();
}, 60_000);

const until = (what: () => string | undefined) =>
  waitFor(
    async () => {
      const missing = what();
      if (missing) throw new Error(missing);
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );

describe(`kafkajs 2.2.4 against Kafka ${KAFKA_VERSION}`, () => {
  it('admin sees the cluster and the topics it made', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
    expect(cluster.controller).not.toBeNull();
    const { topics } = await admin.fetchTopicMetadata({ topics: [input] });
    expect(topics[0]?.partitions).toHaveLength(3);
  });

  it('an idempotent producer sends keyed records; a group of two rebalances and commits them all', async () => {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({
      topic: input,
      acks: -1,
      messages: Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 6}`, value: String(i) })),
    });
    await producer.disconnect();

    const groupId = `compat-group-${run}`;
    const seen = new Map<string, number>();
    const assigned = new Map<number, number>();
    const start = async (index: number) => {
      const consumer = kafka.consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 10_000 });
      consumers.push(consumer);
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        assigned.set(index, payload.memberAssignment[input]?.length ?? 0);
      });
      await consumer.connect();
      await consumer.subscribe({ topic: input, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const value = message.value?.toString() ?? '';
          seen.set(value, (seen.get(value) ?? 0) + 1);
        },
      });
    };
    await start(0);
    await until(() => (assigned.get(0) === 3 ? undefined : 'first member owns all 3 partitions'));
    await start(1);
    // A rebalance: both members end up with partitions, 3 between them.
    await until(() => {
      const a = assigned.get(0) ?? 0;
      const b = assigned.get(1) ?? 0;
      return a > 0 && b > 0 && a + b === 3 ? undefined : `assignment ${a}+${b}`;
    });
    await until(() => (seen.size === 60 ? undefined : `consumed ${seen.size}/60`));
    // Committed offsets cover every record (auto-commit after each batch; give it a moment).
    await waitFor(
      async () => {
        const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
        const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
        if (committed !== 60) throw new Error(`committed ${committed}/60`);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(seen.size).toBe(60);
  }, 90_000);

  it('transactions: consume-transform-produce commits with offsets; read_committed skips aborts', async () => {
    const producer = kafka.producer({
      transactionalId: `compat-tx-${run}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({
      topic: output,
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `kept-${i}` })),
    });
    await committed.sendOffsets({
      consumerGroupId: `compat-ctp-${run}`,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '5' }] }],
    });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({
      topic: output,
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `aborted-${i}` })),
    });
    await aborted.abort();
    // A committed record after the aborted batch: once the reader has it, it has passed the aborts.
    const sentinel = await producer.transaction();
    await sentinel.send({ topic: output, messages: [{ value: 'end' }] });
    await sentinel.commit();
    await producer.disconnect();

    const offsets = await admin.fetchOffsets({ groupId: `compat-ctp-${run}`, topics: [input] });
    expect(offsets[0]!.partitions.find((p) => p.partition === 0)?.offset).toBe('5');

    const values: string[] = [];
    const reader = kafka.consumer({ groupId: `compat-reader-${run}`, readUncommitted: false });
    consumers.push(reader);
    await reader.connect();
    await reader.subscribe({ topic: output, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? '');
      },
    });
    await until(() => (values.includes('end') ? undefined : `read ${values.length} records`));
    expect(values).toEqual([...Array.from({ length: 10 }, (_, i) => `kept-${i}`), 'end']);
  }, 90_000);
});
