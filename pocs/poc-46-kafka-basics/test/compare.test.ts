import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCompareConfig } from '../src/experiments/compare/config.ts';
import { type KafkaLane, openKafkaLane } from '../src/experiments/compare/kafka-lane.ts';
import { encodeOrder, ORDER_BYTES, planOrders } from '../src/experiments/compare/order.ts';
import { openRabbitLane, type RabbitLane } from '../src/experiments/compare/rabbit-lane.ts';
import {
  ORDERING_KEYS,
  replayKafka,
  replayRabbitQueue,
  replayRabbitStream,
  runConsumerCrash,
  runOrdering,
  runThroughput,
} from '../src/experiments/compare/scenarios.ts';
import { createDeliveryLedger } from '../src/experiments/compare/stats.ts';

// Small version of bench/kafka-vs-rabbitmq.ts against the real brokers: exact counts.
const config = loadCompareConfig();
const brokers = config.KAFKA_BROKERS;
const N = 2_000;
const KILL_AFTER = 700;
const PREFETCH = 100;
const PARTITIONS = 6;
const orders = planOrders(N, 100);
const childEnv = { KAFKA_BROKERS: brokers.join(','), RABBITMQ_URL: config.RABBITMQ_URL };
const lanes: (KafkaLane | RabbitLane)[] = [];
const kafkaLane = async () => {
  const lane = await openKafkaLane({ brokers, partitions: PARTITIONS, replicationFactor: 1 });
  lanes.push(lane);
  return lane;
};
const rabbitLane = async (queueType: 'quorum' | 'stream' = 'quorum') => {
  const lane = await openRabbitLane({ url: config.RABBITMQ_URL, prefetch: PREFETCH, queueType });
  lanes.push(lane);
  return lane;
};

afterAll(async () => {
  await Promise.all(lanes.map((l) => l.close()));
}, 30_000);

describe('the workload', () => {
  it('encodes every order as exactly 1 KB with a per-customer sequence', () => {
    expect(encodeOrder(orders[0]!).length).toBe(ORDER_BYTES);
    expect(encodeOrder(orders[N - 1]!).length).toBe(ORDER_BYTES);
    expect(orders.filter((o) => o.key === 'customer-0007').map((o) => o.seq)).toEqual(
      Array.from({ length: N / 100 }, (_, i) => i + 1),
    );
  });

  it('the ledger counts duplicates and reorderings per key', () => {
    const ledger = createDeliveryLedger();
    for (const [id, key, seq] of [
      [0, 'a', 1],
      [2, 'a', 3],
      [1, 'a', 2], // overtaken by seq 3
      [2, 'a', 3], // seen before
      [3, 'b', 1],
    ] as const)
      ledger.observe(id, key, seq);
    expect([ledger.distinct, ledger.duplicates, ledger.outOfOrder]).toEqual([4, 1, 1]);
  });
});

describe.each(['kafka', 'rabbitmq'] as const)('%s delivers the whole workload', (broker) => {
  it(`${N} published, ${N} consumed once, in per-key order with one consumer`, async () => {
    const lane = broker === 'kafka' ? await kafkaLane() : await rabbitLane();
    // One batch in flight: with several concurrent kafkajs send() calls a later batch can
    // reach a partition first (the bench measures that); here the publish order is the log order.
    const r = await runThroughput(lane, orders, { batchSize: 500, inFlightBatches: 1 }, 30_000);
    expect(r.messages).toBe(N);
    expect(r.endToEnd.count).toBe(N);
    expect(r.duplicates).toBe(0);
    expect(r.outOfOrder).toBe(0);
    expect(r.producedPerSec).toBeGreaterThan(0);
  });
});

describe('a consumer SIGKILLed mid-stream, then a fresh reader', () => {
  let kafka: KafkaLane;
  let rabbit: RabbitLane;
  beforeAll(async () => {
    [kafka, rabbit] = await Promise.all([kafkaLane(), rabbitLane()]);
  }, 30_000);
  const crashOpts = (groupId: string) => ({
    killAfter: KILL_AFTER,
    groupId,
    partitions: PARTITIONS,
    prefetch: PREFETCH,
    env: childEnv,
    timeoutMs: 40_000,
  });

  it('Kafka re-delivers exactly what was processed after the last committed offset', async () => {
    const r = await runConsumerCrash(kafka, orders, crashOpts(`${kafka.name}-crash`));
    expect(r.processedBeforeKill).toBe(KILL_AFTER);
    expect(r.committedBeforeKill).not.toBeNull();
    expect(r.processedTwice).toBe(KILL_AFTER - r.committedBeforeKill!);
    expect(r.processedTwice).toBeGreaterThan(0);
    expect(r.successorDeliveries).toBe(N - r.committedBeforeKill!);
    expect(r.lost).toBe(0);
  });

  it('Kafka: a new consumer group from the earliest offset reads all N again', async () => {
    expect((await replayKafka(kafka, N, 30_000)).replayed).toBe(N);
  });

  it('RabbitMQ requeues the unacked messages with the redelivered flag', async () => {
    const r = await runConsumerCrash(rabbit, orders, crashOpts(`unused-${randomUUID()}`));
    expect(r.processedBeforeKill).toBe(KILL_AFTER);
    expect(r.readyAfterKill).not.toBeNull();
    // At least what was ready once the dead consumer was dropped; a few requeues can land later.
    expect(r.successorDeliveries).toBeGreaterThanOrEqual(r.readyAfterKill!);
    // The order processed but not acked comes back, flagged, with the rest of the prefetch.
    expect(r.processedTwice).toBeGreaterThan(0);
    expect(r.redeliveredFlagged).toBeGreaterThanOrEqual(r.processedTwice);
    expect(r.redeliveredFlagged).toBeLessThanOrEqual(PREFETCH);
    expect(r.lost).toBe(0);
  });

  it('RabbitMQ quorum queue: once acked, nothing is left to replay', async () => {
    const r = await replayRabbitQueue(rabbit);
    expect(r).toEqual({ replayed: 0, leftInQueue: 0 });
  });

  it('RabbitMQ stream: a second reader from the first offset gets all N again', async () => {
    const stream = await rabbitLane('stream');
    expect(await replayRabbitStream(stream, orders, 30_000)).toEqual({
      firstRead: N,
      replayed: N,
    });
  });
});

describe('ordering with 3 competing consumers', () => {
  const few = planOrders(600, ORDERING_KEYS);
  it('keyed Kafka topic + consumer group: 0 orders out of per-key order', async () => {
    const r = await runOrdering(await kafkaLane(), few, 3, 30_000);
    expect([r.delivered, r.duplicates, r.outOfOrder]).toEqual([600, 0, 0]);
  });

  it('one RabbitMQ queue, prefetch 100: later orders overtake earlier ones', async () => {
    const r = await runOrdering(await rabbitLane(), few, 3, 30_000);
    expect([r.delivered, r.duplicates]).toEqual([600, 0]);
    expect(r.outOfOrder).toBeGreaterThan(0);
  });
});
