import { createKafka, uniqueName } from '@pocs/kafka';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { parsePrometheusText, sumOf } from '@pocs/shared/prom-text';
import { waitFor } from '@pocs/shared/wait';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createTopic, deleteTopics } from '../src/kafka.ts';
import { brokers } from './services.ts';

const topic = uniqueName('poc50-lag');
const group = uniqueName('poc50-lag-group');
const kafka = createKafka({ brokers, clientId: 'poc50-lag-test' });
// Per partition: messages the consumer reads and commits first, then messages produced after it left.
const consumedFirst = [5, 10, 15];
const producedAfter = [7, 0, 3];
let admin: Admin;
let built: Awaited<ReturnType<typeof buildApp>>;

async function produce(counts: number[]) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // One send per partition: when one broker of a multi-partition send fails, kafkajs
  // retries the whole send and rewrites what the other brokers had already stored, even
  // with idempotent: true (scripts/retry-duplicates.ts). A one-partition send retries only itself.
  for (const [partition, n] of counts.entries()) {
    if (n === 0) continue;
    await producer.send({
      topic,
      messages: Array.from({ length: n }, (_, i) => ({ partition, value: `p${partition}-${i}` })),
    });
  }
  await producer.disconnect();
}

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await createTopic(admin, topic, 3);
  await produce(consumedFirst);
  // A real consumer reads everything and commits; it leaves before the second produce.
  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
  await waitFor(
    async () => {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return offsets?.partitions.every((p) => Number(p.offset) === consumedFirst[p.partition]);
    },
    { timeoutMs: 30_000, intervalMs: 200, description: 'the consumer to commit every message' },
  );
  await consumer.disconnect();
  await produce(producedAfter);
  const config = loadConfig({
    KAFKA_BROKERS: brokers,
    LAG_GROUP_PATTERN: `^${group}$`,
    LAG_CACHE_MS: '0',
  });
  built = await buildApp(config, { logger: silentLogger, registry: createRegistry() });
}, 60_000);

afterAll(async () => {
  await built?.app.close();
  await admin.deleteGroups([group]).catch(() => {});
  await deleteTopics(admin, [topic]);
  await admin.disconnect();
});

describe('lag exporter', () => {
  it('GET /lag?group= reports end − committed for every partition, exactly', async () => {
    const res = await built.app.inject({ url: `/lag?group=${group}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      group,
      totalLagMessages: 10,
      partitions: [0, 1, 2].map((partition) => ({
        topic,
        partition,
        committedOffset: consumedFirst[partition],
        startOffset: 0,
        endOffset: consumedFirst[partition]! + producedAfter[partition]!,
        lagMessages: producedAfter[partition],
      })),
    });
  });

  it('/metrics exports the same lag, committed and end offsets per partition', async () => {
    const samples = parsePrometheusText((await built.app.inject({ url: '/metrics' })).body);
    for (const partition of [0, 1, 2]) {
      const where = { group, topic, partition: String(partition) };
      expect(sumOf(samples, 'kafka_consumergroup_lag_messages', where)).toBe(
        producedAfter[partition],
      );
      expect(sumOf(samples, 'kafka_consumergroup_committed_offset', where)).toBe(
        consumedFirst[partition],
      );
      expect(
        sumOf(samples, 'kafka_topic_partition_end_offset', { topic, partition: String(partition) }),
      ).toBe(consumedFirst[partition]! + producedAfter[partition]!);
    }
    expect(sumOf(samples, 'kafka_consumergroup_lag_sum_messages', { group })).toBe(10);
  });

  it('GET /lag lists only groups matching LAG_GROUP_PATTERN', async () => {
    const body = (await built.app.inject({ url: '/lag' })).json();
    expect(body.groups.map((g: { group: string }) => g.group)).toEqual([group]);
  });

  it('answers bad input with 4xx problem+json, never 5xx', async () => {
    const bad = await built.app.inject({ url: '/lag?group=has%20spaces' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect((await built.app.inject({ url: '/lag?grop=x' })).statusCode).toBe(400);
    const unknown = await built.app.inject({ url: `/lag?group=${uniqueName('nobody')}` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'unknown_group' });
  });
});
