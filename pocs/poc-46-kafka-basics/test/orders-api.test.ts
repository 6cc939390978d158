import { randomUUID } from 'node:crypto';
import { waitFor } from '@pocs/shared/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../src/partition.ts';
import { startTestApp, type TestApp, testConfig, waitForZeroLag } from './harness.ts';

// The shared broker (one broker or the 3-broker cluster): a topic of our own, deleted after.
const config = testConfig({ TOPIC_PARTITIONS: '6' });
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp(config);
});
afterAll(async () => {
  await t?.app.close();
});

const post = (body: unknown) =>
  t.app.inject({ method: 'POST', url: '/orders', payload: body as Record<string, unknown> });

describe('POST /orders', () => {
  it('rejects a bad order with 400 problem+json naming each field, never 5xx', async () => {
    const r = await post({ orderId: 'nope', customerId: '', amountCents: 1.5, extra: 1 });
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    const paths = r.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['orderId', 'customerId', 'amountCents']));
    const notJson = await t.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: '{',
    });
    expect(notJson.statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/orders/123' })).statusCode).toBe(400);
  });

  it('answers 202 with the partition murmur2(key) % partitions predicts, and the offset', async () => {
    const order = { orderId: randomUUID(), customerId: 'c-42', amountCents: 1299 };
    const partition = partitionForKey('c-42', 6);
    // The record lands at the partition's end offset as it was before the send.
    const endBefore = (await t.admin.fetchTopicOffsets(config.TOPIC)).find(
      (p) => p.partition === partition,
    )?.high;
    const r = await post(order);
    expect(r.statusCode).toBe(202);
    const body = r.json();
    expect(body).toMatchObject({ orderId: order.orderId, key: 'c-42' });
    expect(body.partition).toBe(partition);
    expect(body.offset).toBe(endBefore);
    const stored = await waitFor(
      async () => {
        const g = await t.app.inject({ method: 'GET', url: `/orders/${order.orderId}` });
        return g.statusCode === 200 ? g.json() : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, description: 'the order in Postgres' },
    );
    expect(stored).toMatchObject({
      orderId: order.orderId,
      amountCents: 1299,
      partition: body.partition,
      offset: body.offset,
      rows: 1,
    });
  });

  it('one key, one partition: 60 orders of 6 customers get consecutive offsets per partition', async () => {
    const customers = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
    const acks: Array<{ key: string; partition: number; offset: number }> = [];
    for (let i = 0; i < 60; i++) {
      const key = customers[i % customers.length]!;
      const r = await post({ orderId: randomUUID(), customerId: key, amountCents: 100 + i });
      expect(r.statusCode).toBe(202);
      const b = r.json();
      acks.push({ key, partition: b.partition, offset: Number(b.offset) });
    }
    for (const key of customers) {
      const mine = acks.filter((a) => a.key === key);
      expect(new Set(mine.map((a) => a.partition))).toEqual(new Set([partitionForKey(key, 6)]));
    }
    // Within a partition the broker appends in order: one send after the other gets the
    // next offset, no gaps (the idempotent producer never writes a retried record twice).
    for (const p of new Set(acks.map((a) => a.partition))) {
      const offsets = acks.filter((a) => a.partition === p).map((a) => a.offset);
      expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + i));
    }
    await waitForZeroLag(t, config);
    const topic = (await t.app.inject({ method: 'GET', url: '/topic' })).json();
    // 61 records so far (this test's 60 plus the previous one), all committed.
    expect(topic.lag).toBe(0);
    expect(topic.partitions.reduce((s: number, p: { high: number }) => s + p.high, 0)).toBe(61);
    expect(topic.consumer.inserted).toBe(61);
    expect(topic.consumer.duplicatesSuppressed).toBe(0);
  });
});
