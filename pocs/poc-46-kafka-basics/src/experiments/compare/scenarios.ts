import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runOpenLoop } from '@pocs/shared/open-loop';
import { sleep, waitFor } from '@pocs/shared/wait';
import type { KafkaLane } from './kafka-lane.ts';
import type { Lane, PublishOptions } from './lane.ts';
import { nowMs, type PlannedOrder } from './order.ts';
import type { RabbitLane } from './rabbit-lane.ts';
import { createDeliveryLedger, type LatencySummary, round1, summarizeLatencies } from './stats.ts';

const perSec = (count: number, ms: number) => Math.round(count / (ms / 1000));

export interface ThroughputResult {
  messages: number;
  /** Messages acked by the broker per second, first send to last ack. */
  producedPerSec: number;
  /** Messages processed per second, first send to last delivery (producer and consumer run together). */
  consumedPerSec: number;
  /** Consume time − send time while the producer runs flat out (includes the backlog). */
  endToEnd: LatencySummary;
  duplicates: number;
  outOfOrder: number;
}

/** Publish `orders` as fast as the broker acks them while one consumer drains concurrently. */
export async function runThroughput(
  lane: Lane,
  orders: readonly PlannedOrder[],
  publish: PublishOptions,
  timeoutMs: number,
): Promise<ThroughputResult> {
  const ledger = createDeliveryLedger();
  const latencies: number[] = [];
  let lastAt = 0;
  const consumers = await lane.consume(1, (d) => {
    ledger.observe(d.event.id, d.event.key, d.event.seq);
    latencies.push(d.receivedAtMs - d.event.sentAtMs);
    lastAt = d.receivedAtMs;
  });
  const start = nowMs();
  await lane.publishAll(orders, publish);
  const publishedAt = nowMs();
  await waitFor(() => ledger.distinct === orders.length, {
    timeoutMs,
    intervalMs: 10,
    description: `${orders.length} ${lane.broker} deliveries (have ${ledger.distinct})`,
  });
  await consumers.stop();
  return {
    messages: orders.length,
    producedPerSec: perSec(orders.length, publishedAt - start),
    consumedPerSec: perSec(orders.length, lastAt - start),
    endToEnd: summarizeLatencies(latencies),
    duplicates: ledger.duplicates,
    outOfOrder: ledger.outOfOrder,
  };
}

export interface FixedRateResult {
  ratePerSec: number;
  sent: number;
  delivered: number;
  /** Consume time − send time at a rate both brokers sustain: the latency a message sees. */
  endToEnd: LatencySummary;
  /** Send until the broker's ack (Kafka acks=-1 / RabbitMQ publisher confirm). */
  publishAckP50Ms: number | null;
  publishAckP99Ms: number | null;
}

/** Open-loop: one message every 1/rate s, each sent alone and awaited for its ack. */
export async function runFixedRate(
  lane: Lane,
  orders: readonly PlannedOrder[],
  ratePerSec: number,
  durationSec: number,
  timeoutMs: number,
): Promise<FixedRateResult> {
  const ledger = createDeliveryLedger();
  const latencies: number[] = [];
  const consumers = await lane.consume(1, (d) => {
    ledger.observe(d.event.id, d.event.key, d.event.seq);
    latencies.push(d.receivedAtMs - d.event.sentAtMs);
  });
  const load = await runOpenLoop({
    ratePerSec,
    durationSec,
    outcomes: ['acked', 'failed'] as const,
    send: async (i) => {
      await lane.publishOne(orders[i % orders.length]!);
      return 'acked';
    },
  });
  await waitFor(() => ledger.distinct === load.outcomes.acked.count, {
    timeoutMs,
    description: `${load.outcomes.acked.count} ${lane.broker} deliveries (have ${ledger.distinct})`,
  });
  await consumers.stop();
  return {
    ratePerSec,
    sent: load.sent,
    delivered: ledger.distinct,
    endToEnd: summarizeLatencies(latencies),
    publishAckP50Ms: round1(load.outcomes.acked.p50Ms),
    publishAckP99Ms: round1(load.outcomes.acked.p99Ms),
  };
}

export interface CrashResult {
  messages: number;
  /** Orders the doomed consumer processed (reported) before it was SIGKILLed. */
  processedBeforeKill: number;
  /** Kafka: sum of the group's committed offsets when the consumer died. */
  committedBeforeKill: number | null;
  /** RabbitMQ: messages back in the queue once the broker noticed the dead connection. */
  readyAfterKill: number | null;
  /** Deliveries the replacement consumer received. */
  successorDeliveries: number;
  /** Of those, carrying RabbitMQ's redelivered flag (Kafka has none: null). */
  redeliveredFlagged: number | null;
  /** Orders processed twice: once by the dead consumer, again by its replacement. */
  processedTwice: number;
  /** Orders nobody processed. */
  lost: number;
  /** Kill → first delivery to the replacement consumer. */
  resumeMs: number;
}

const crashChild = fileURLToPath(new URL('./crash-consumer.ts', import.meta.url));

export interface CrashOptions {
  killAfter: number;
  groupId: string;
  partitions: number;
  prefetch: number;
  env: Record<string, string>;
  timeoutMs: number;
}

/**
 * Publish all orders, let a child consumer process `killAfter` of them and SIGKILL itself
 * before acking the last one, then start a replacement and count what it gets again.
 */
export async function runConsumerCrash(
  lane: KafkaLane | RabbitLane,
  orders: readonly PlannedOrder[],
  opts: CrashOptions,
): Promise<CrashResult> {
  await lane.publishAll(orders, { batchSize: 500, inFlightBatches: 4 });
  const byChild = new Set<number>();
  const child = fork(crashChild, [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      ...opts.env,
      CRASH_BROKER: lane.broker,
      CRASH_TARGET: lane.name,
      CRASH_GROUP: opts.groupId,
      CRASH_PARTITIONS: String(opts.partitions),
      CRASH_AFTER: String(opts.killAfter),
      CRASH_PREFETCH: String(opts.prefetch),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (m: { id?: number }) => {
    if (typeof m.id === 'number') byChild.add(m.id);
  });
  const killTimer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(killTimer);
  const killedAt = nowMs();
  if (signal !== 'SIGKILL' || byChild.size !== opts.killAfter) {
    throw new Error(
      `crash consumer exited with code ${code} signal ${signal} after ${byChild.size} of ${opts.killAfter} messages`,
    );
  }

  let committedBeforeKill: number | null = null;
  let readyAfterKill: number | null = null;
  let expected: number;
  if (lane.broker === 'kafka') {
    committedBeforeKill = await lane.committedTotal(opts.groupId);
    expected = orders.length - committedBeforeKill;
  } else {
    // The broker requeues a dead consumer's unacked messages when it sees the connection drop.
    await waitFor(async () => (await lane.inspect()).consumerCount === 0, {
      timeoutMs: opts.timeoutMs,
      description: 'RabbitMQ to drop the dead consumer',
    });
    readyAfterKill = (await lane.inspect()).messageCount;
    expected = readyAfterKill;
  }

  const successor = createDeliveryLedger();
  let flagged = 0;
  let processedTwice = 0;
  let firstAt = 0;
  let round = 1;
  const onDelivery = (d: Parameters<Parameters<typeof lane.consume>[1]>[0]) => {
    if (firstAt === 0) firstAt = d.receivedAtMs;
    // Only the first replacement's: later rounds also see its own stop's requeues flagged.
    if (d.redelivered && round === 1) flagged++;
    if (!successor.has(d.event.id) && byChild.has(d.event.id)) processedTwice++;
    successor.observe(d.event.id, d.event.key, d.event.seq);
  };
  const covered = () => {
    let n = byChild.size;
    for (const o of orders) if (!byChild.has(o.id) && successor.has(o.id)) n++;
    return n;
  };
  // A quorum queue requeues the dead consumer's messages through its Raft log, so a few can
  // reach the queue after `readyAfterKill` was read; messages on their way to the replacement
  // when it stops go back too. Consume again until a stopped replacement leaves it empty.
  for (round = 1; ; round++) {
    const consumers = await lane.consume(1, onDelivery, { groupId: opts.groupId });
    await waitFor(
      async () =>
        successor.deliveries >= expected &&
        covered() === orders.length &&
        (lane.broker === 'kafka' || (await lane.inspect()).messageCount === 0),
      {
        timeoutMs: opts.timeoutMs,
        intervalMs: 50,
        description: `replacement ${lane.broker} consumer to get ${expected} (has ${successor.deliveries})`,
      },
    );
    await consumers.stop();
    if (lane.broker === 'kafka' || round === 5) break;
    if ((await lane.inspect()).messageCount === 0) break;
  }
  return {
    messages: orders.length,
    processedBeforeKill: byChild.size,
    committedBeforeKill,
    readyAfterKill,
    successorDeliveries: successor.deliveries,
    redeliveredFlagged: lane.broker === 'rabbitmq' ? flagged : null,
    processedTwice,
    lost: orders.length - covered(),
    resumeMs: Math.round(firstAt - killedAt),
  };
}

export interface ReplayResult {
  /** Messages a brand-new reader got after every message had been consumed and acked. */
  replayed: number;
  /** RabbitMQ: ready messages left in the queue (0 = nothing to replay). */
  leftInQueue: number | null;
}

/** Kafka: a new consumer group from the earliest offset reads the whole log again. */
export async function replayKafka(
  lane: KafkaLane,
  expected: number,
  timeoutMs: number,
): Promise<ReplayResult> {
  const ledger = createDeliveryLedger();
  const consumers = await lane.consume(
    1,
    (d) => ledger.observe(d.event.id, d.event.key, d.event.seq),
    { groupId: `${lane.name}-replay` },
  );
  await waitFor(() => ledger.distinct === expected, {
    timeoutMs,
    description: `kafka replay of ${expected} (have ${ledger.distinct})`,
  });
  await consumers.stop();
  return { replayed: ledger.deliveries, leftInQueue: null };
}

/** RabbitMQ quorum queue: once acked, a message is gone; a new consumer finds nothing. */
export async function replayRabbitQueue(lane: RabbitLane): Promise<ReplayResult> {
  const { messageCount } = await lane.inspect();
  return {
    replayed: (await lane.peek()) === undefined ? 0 : messageCount,
    leftInQueue: messageCount,
  };
}

/** RabbitMQ stream: two readers one after the other, each from the first offset. */
export async function replayRabbitStream(
  lane: RabbitLane,
  orders: readonly PlannedOrder[],
  timeoutMs: number,
): Promise<{ firstRead: number; replayed: number }> {
  await lane.publishAll(orders, { batchSize: 500, inFlightBatches: 4 });
  const read = async () => {
    const ledger = createDeliveryLedger();
    const consumers = await lane.consume(1, (d) =>
      ledger.observe(d.event.id, d.event.key, d.event.seq),
    );
    await waitFor(() => ledger.distinct === orders.length, {
      timeoutMs,
      description: `stream read of ${orders.length} (have ${ledger.distinct})`,
    });
    await consumers.stop();
    return ledger.deliveries;
  };
  const firstRead = await read();
  return { firstRead, replayed: await read() };
}

export interface OrderingResult {
  consumers: number;
  messages: number;
  delivered: number;
  duplicates: number;
  /** First-time deliveries processed after a later order of the same customer. */
  outOfOrder: number;
}

/** Few customers, so the same customer's orders sit close together, as bursts of one order's events do. */
export const ORDERING_KEYS = 10;
/** Published in bursts of this size: the consumers get a backlog to share. */
export const ORDERING_BATCH = 500;

/** Simulated work per order: 1–3 ms, spread by a hash of the id. */
export const workMsFor = (id: number) => 1 + ((Math.imul(id, 2_654_435_761) >>> 0) % 3);

/**
 * Publish in order (one batch in flight), consume with `consumers` competing consumers that
 * each process one message at a time, and count per-customer reorderings at completion.
 */
export async function runOrdering(
  lane: Lane,
  orders: readonly PlannedOrder[],
  consumerCount: number,
  timeoutMs: number,
): Promise<OrderingResult> {
  const ledger = createDeliveryLedger();
  const consumers = await lane.consume(consumerCount, async (d) => {
    await sleep(workMsFor(d.event.id));
    ledger.observe(d.event.id, d.event.key, d.event.seq);
  });
  await lane.publishAll(orders, { batchSize: ORDERING_BATCH, inFlightBatches: 1 });
  await waitFor(() => ledger.distinct === orders.length, {
    timeoutMs,
    intervalMs: 20,
    description: `${orders.length} ordered ${lane.broker} deliveries (have ${ledger.distinct})`,
  });
  await consumers.stop();
  return {
    consumers: consumerCount,
    messages: orders.length,
    delivered: ledger.distinct,
    duplicates: ledger.duplicates,
    outOfOrder: ledger.outOfOrder,
  };
}
