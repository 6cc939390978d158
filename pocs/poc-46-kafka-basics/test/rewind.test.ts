import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { countByOrderId } from '../src/store.ts';
import { startTestApp, type TestApp, testConfig, waitForZeroLag } from './harness.ts';

// Kafka delivers at least once: rewinding the group (what an operator does after a consumer
// bug, and what a commit lost in a restart does to one batch) hands every record over again.
const ORDERS = 50;
const apps: TestApp[] = [];
afterAll(async () => {
  for (const t of apps) await t.app.close();
});

async function placeThenRewind(overrides: Record<string, string>) {
  const config = testConfig({ TOPIC_PARTITIONS: '3', ...overrides });
  const t = await startTestApp(config);
  apps.push(t);
  const ids: string[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const orderId = randomUUID();
    const r = await t.app.inject({
      method: 'POST',
      url: '/orders',
      payload: { orderId, customerId: `c-${i % 5}`, amountCents: 500 },
    });
    expect(r.statusCode).toBe(202);
    ids.push(orderId);
  }
  await waitForZeroLag(t, config);
  const before = await countByOrderId(t.pool, t.db, ids);
  const rewound = await t.app.inject({ method: 'POST', url: '/consumer/rewind' });
  expect(rewound.statusCode).toBe(202);
  // Lag is measured against committed offsets, which the rewind moved back to 0.
  const topic = (await t.app.inject({ method: 'GET', url: '/topic' })).json();
  expect(topic.lag).toBe(ORDERS);
  await waitForZeroLag(t, config);
  const after = await countByOrderId(t.pool, t.db, ids);
  return { before, after, stats: t.consumer!.stats() };
}

describe('consumer group rewound to the earliest offsets (every record delivered twice)', () => {
  it('without the unique order_id (BREAK_NO_UNIQUE_ORDER_ID): all 50 orders are in Postgres twice', async () => {
    const r = await placeThenRewind({ BREAK_NO_UNIQUE_ORDER_ID: '1' });
    expect(r.before).toEqual({ expected: 50, missing: 0, duplicated: 0, extraRows: 0 });
    expect(r.after).toEqual({ expected: 50, missing: 0, duplicated: 50, extraRows: 50 });
    expect(r.stats).toMatchObject({ records: 100, inserted: 100, duplicatesSuppressed: 0 });
  });

  it('with insert … on conflict (order_id) do nothing: each order once, 50 redeliveries absorbed', async () => {
    const r = await placeThenRewind({});
    expect(r.after).toEqual({ expected: 50, missing: 0, duplicated: 0, extraRows: 0 });
    expect(r.stats).toMatchObject({ records: 100, inserted: 50, duplicatesSuppressed: 50 });
  });
});
