/**
 * Kafka vs RabbitMQ on this machine, same workload: 1 KB order events with a send timestamp
 * and a per-customer sequence number.
 *
 *   pnpm --filter poc-46 bench:compare [--messages 100000] [--rounds 3] [--quick]
 *
 * Rounds interleave the brokers (who goes first alternates); the summary is the median round.
 * Then, once each: a consumer SIGKILLed mid-stream, replay by a brand-new reader, and
 * per-customer ordering with one and with competing consumers.
 * Writes results/kafka-vs-rabbitmq.json and results/kafka-vs-rabbitmq.svg.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { writeResult } from '@pocs/shared/results';
import { localKafkaVersion } from '@pocs/shared/service-versions';
import { median } from '@pocs/shared/stats';
import amqplibPackage from 'amqplib/package.json' with { type: 'json' };
import kafkajsPackage from 'kafkajs/package.json' with { type: 'json' };
import { loadCompareConfig } from '../src/experiments/compare/config.ts';

import { type KafkaLane, openKafkaLane } from '../src/experiments/compare/kafka-lane.ts';
import type { BrokerName, PublishOptions } from '../src/experiments/compare/lane.ts';
import { ORDER_BYTES, planOrders } from '../src/experiments/compare/order.ts';
import { openRabbitLane, type RabbitLane } from '../src/experiments/compare/rabbit-lane.ts';
import {
  type FixedRateResult,
  ORDERING_BATCH,
  ORDERING_KEYS,
  replayKafka,
  replayRabbitQueue,
  replayRabbitStream,
  runConsumerCrash,
  runFixedRate,
  runOrdering,
  runThroughput,
  type ThroughputResult,
} from '../src/experiments/compare/scenarios.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-46 bench:compare [options]
  --messages            messages per throughput round (default 100000)
  --rounds              rounds per broker, interleaved; medians reported (default 3)
  --rate                msgs/s of the fixed-rate latency rounds (default 1000)
  --seconds             length of each fixed-rate round (default 10)
  --partitions          partitions of the keyed Kafka topic (default 6); a 1-partition topic runs too
  --kafka-rf            Kafka replication factor of the topics (default 1, like the 1-node RabbitMQ)
  --batch               messages per publish batch (default 500)
  --in-flight           publish batches awaiting their ack, at most (default 4)
  --prefetch            RabbitMQ consumer prefetch (default 100)
  --crash-messages      messages in the consumer-crash and replay runs (default 10000)
  --kill-after          the crashing consumer dies after processing this many (default 4000)
  --ordering-messages   messages in each ordering run (default 3000)
  --consumers           competing consumers in the ordering run (default 3)
  --quick               small smoke run: 5000 messages, 1 round, 3 s fixed rate; results not written`,
  {
    messages: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    partitions: { type: 'string', default: '6' },
    'kafka-rf': { type: 'string', default: '1' },
    batch: { type: 'string', default: '500' },
    'in-flight': { type: 'string', default: '4' },
    prefetch: { type: 'string', default: '100' },
    'crash-messages': { type: 'string', default: '10000' },
    'kill-after': { type: 'string', default: '4000' },
    'ordering-messages': { type: 'string', default: '3000' },
    consumers: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
  },
);
const quick = args.quick === true;
const messages = quick ? 5_000 : intFlag('messages', args.messages);
const rounds = quick ? 1 : intFlag('rounds', args.rounds);
const ratePerSec = intFlag('rate', args.rate);
const seconds = quick ? 3 : intFlag('seconds', args.seconds);
const partitions = intFlag('partitions', args.partitions);
const kafkaRf = intFlag('kafka-rf', args['kafka-rf']);
const publish: PublishOptions = {
  batchSize: intFlag('batch', args.batch),
  inFlightBatches: intFlag('in-flight', args['in-flight']),
};
const prefetch = intFlag('prefetch', args.prefetch);
const crashMessages = quick ? 2_000 : intFlag('crash-messages', args['crash-messages']);
const killAfter = quick ? 700 : intFlag('kill-after', args['kill-after']);
const orderingMessages = quick ? 600 : intFlag('ordering-messages', args['ordering-messages']);
const competing = intFlag('consumers', args.consumers);
if (killAfter >= crashMessages) {
  console.error('--kill-after must be below --crash-messages');
  process.exit(2);
}

const config = loadCompareConfig();
const brokers = config.KAFKA_BROKERS;
const timeoutMs = 300_000;
const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;

const openLane = (broker: BrokerName): Promise<KafkaLane | RabbitLane> =>
  broker === 'kafka'
    ? openKafkaLane({ brokers, partitions, replicationFactor: kafkaRf })
    : openRabbitLane({ url: config.RABBITMQ_URL, prefetch, queueType: 'quorum' });

async function withLane<T>(broker: BrokerName, fn: (lane: KafkaLane | RabbitLane) => Promise<T>) {
  const lane = await openLane(broker);
  try {
    return await fn(lane);
  } finally {
    await lane.close();
  }
}

// Facts about the brokers under test, recorded with the numbers.
const probeKafka = await openKafkaLane({ brokers, partitions: 1, replicationFactor: 1 });
const kafkaBrokerCount = await probeKafka.brokerCount();
await probeKafka.close();
const probeRabbit = await openRabbitLane({ url: config.RABBITMQ_URL });
const rabbitVersion = probeRabbit.serverVersion;
await probeRabbit.close();

/** What runs in the flat-out and fixed-rate rounds: a 1-partition topic is the like-for-like match for one queue. */
const variants = [
  { label: 'kafka-1p', broker: 'kafka' as const, partitions: 1 },
  { label: `kafka-${partitions}p`, broker: 'kafka' as const, partitions },
  { label: 'rabbitmq', broker: 'rabbitmq' as const, partitions: 0 },
];
type Variant = (typeof variants)[number];
const openVariant = (v: Variant): Promise<KafkaLane | RabbitLane> =>
  v.broker === 'kafka'
    ? openKafkaLane({ brokers, partitions: v.partitions, replicationFactor: kafkaRf })
    : openRabbitLane({ url: config.RABBITMQ_URL, prefetch, queueType: 'quorum' });
async function withVariant<T>(v: Variant, fn: (lane: KafkaLane | RabbitLane) => Promise<T>) {
  const lane = await openVariant(v);
  try {
    return await fn(lane);
  } finally {
    await lane.close();
  }
}

const orders = planOrders(Math.max(messages, ratePerSec * seconds), 100);
const throughput: Record<string, ThroughputResult[]> = {};
const fixedRate: Record<string, FixedRateResult[]> = {};
for (const v of variants) {
  throughput[v.label] = [];
  fixedRate[v.label] = [];
}
for (let round = 1; round <= rounds; round++) {
  // Rotate who goes first, so no variant always runs on a cold (or tired) machine.
  const order = variants.map((_, i) => variants[(i + round - 1) % variants.length]!);
  for (const v of order) {
    const r = await withVariant(v, (lane) =>
      runThroughput(lane, orders.slice(0, messages), publish, timeoutMs),
    );
    throughput[v.label]!.push(r);
    console.log(
      `[${elapsed()}] round ${round} ${v.label.padEnd(9)} flat out: produced ${r.producedPerSec}/s, consumed ${r.consumedPerSec}/s, e2e p50 ${r.endToEnd.p50Ms} ms p99 ${r.endToEnd.p99Ms} ms, out of order ${r.outOfOrder}`,
    );
  }
  for (const v of order) {
    const r = await withVariant(v, (lane) =>
      runFixedRate(lane, orders, ratePerSec, seconds, timeoutMs),
    );
    fixedRate[v.label]!.push(r);
    console.log(
      `[${elapsed()}] round ${round} ${v.label.padEnd(9)} ${ratePerSec}/s: e2e p50 ${r.endToEnd.p50Ms} ms p99 ${r.endToEnd.p99Ms} ms, ack p50 ${r.publishAckP50Ms} ms p99 ${r.publishAckP99Ms} ms`,
    );
  }
}

/** Median of the rounds that produced a value; NaN (null in the JSON) when none did. */
const med = (xs: (number | null)[]) => {
  const values = xs.filter((x): x is number => x !== null);
  return values.length ? median(values) : Number.NaN;
};
const summarize = (label: string) => {
  const t = throughput[label]!;
  const f = fixedRate[label]!;
  return {
    producedPerSec: med(t.map((r) => r.producedPerSec)),
    consumedPerSec: med(t.map((r) => r.consumedPerSec)),
    saturatedEndToEndP50Ms: med(t.map((r) => r.endToEnd.p50Ms)),
    saturatedEndToEndP99Ms: med(t.map((r) => r.endToEnd.p99Ms)),
    fixedRateEndToEndP50Ms: med(f.map((r) => r.endToEnd.p50Ms)),
    fixedRateEndToEndP99Ms: med(f.map((r) => r.endToEnd.p99Ms)),
    publishAckP50Ms: med(f.map((r) => r.publishAckP50Ms)),
    publishAckP99Ms: med(f.map((r) => r.publishAckP99Ms)),
    outOfOrderFlatOut: med(t.map((r) => r.outOfOrder)),
  };
};
const summary = Object.fromEntries(variants.map((v) => [v.label, summarize(v.label)]));

// Consumer death, then replay by a brand-new reader, on the same topic / queue.
const crashOrders = planOrders(crashMessages, 100);
const crashChildEnv = { KAFKA_BROKERS: brokers.join(','), RABBITMQ_URL: config.RABBITMQ_URL };
const crash = {} as Record<BrokerName, Awaited<ReturnType<typeof runConsumerCrash>>>;
const replay = {} as Record<string, { replayed: number; of: number; leftInQueue?: number | null }>;
await withLane('kafka', async (lane) => {
  const kafka = lane as KafkaLane;
  const opts = {
    killAfter,
    groupId: `${kafka.name}-crash`,
    partitions,
    prefetch,
    env: crashChildEnv,
    timeoutMs,
  };
  crash.kafka = await runConsumerCrash(kafka, crashOrders, opts);
  console.log(`[${elapsed()}] kafka consumer crash:`, crash.kafka);
  replay.kafka = { ...(await replayKafka(kafka, crashMessages, timeoutMs)), of: crashMessages };
});
await withLane('rabbitmq', async (lane) => {
  const rabbit = lane as RabbitLane;
  const opts = {
    killAfter,
    groupId: 'unused',
    partitions,
    prefetch,
    env: crashChildEnv,
    timeoutMs,
  };
  crash.rabbitmq = await runConsumerCrash(rabbit, crashOrders, opts);
  console.log(`[${elapsed()}] rabbitmq consumer crash:`, crash.rabbitmq);
  replay.rabbitmqQuorum = { ...(await replayRabbitQueue(rabbit)), of: crashMessages };
});
const stream = await openRabbitLane({ url: config.RABBITMQ_URL, prefetch, queueType: 'stream' });
try {
  const s = await replayRabbitStream(stream, crashOrders, timeoutMs);
  replay.rabbitmqStream = { replayed: s.replayed, of: crashMessages };
} finally {
  await stream.close();
}
console.log(`[${elapsed()}] replay:`, replay);

// Per-customer ordering: one consumer, then competing consumers, one batch in flight.
const orderingOrders = planOrders(orderingMessages, ORDERING_KEYS);
const ordering: Record<string, Awaited<ReturnType<typeof runOrdering>>> = {};
for (const consumers of [1, competing]) {
  for (const broker of ['kafka', 'rabbitmq'] as const) {
    const r = await withLane(broker, (lane) =>
      runOrdering(lane, orderingOrders, consumers, timeoutMs),
    );
    ordering[`${broker}-${consumers}`] = r;
    console.log(
      `[${elapsed()}] ordering ${broker} × ${consumers}: ${r.outOfOrder} out of order, ${r.duplicates} duplicates`,
    );
  }
}

const result = {
  versions: {
    kafka: localKafkaVersion(),
    rabbitmq: rabbitVersion,
    kafkajs: kafkajsPackage.version,
    amqplib: amqplibPackage.version,
  },
  brokers: {
    kafkaBrokersInCluster: kafkaBrokerCount,
    kafkaTopicReplicationFactor: kafkaRf,
    kafkaTopicMinInsyncReplicas: kafkaRf === 1 ? 1 : 'broker default',
    kafkaPartitions: variants.filter((v) => v.broker === 'kafka').map((v) => v.partitions),
    kafkaCrashAndOrderingPartitions: partitions,
    rabbitmqNodes: 1,
    rabbitmqQueue: 'quorum (1 member on a single node)',
  },
  settings: {
    messageBytes: ORDER_BYTES,
    customerKeys: 100,
    messages,
    rounds,
    roundOrder: 'alternating: odd rounds Kafka first, even rounds RabbitMQ first',
    processes:
      'producer and consumer in the bench process; the crashing consumer is a child process',
    publish: {
      batchSize: publish.batchSize,
      inFlightBatches: publish.inFlightBatches,
      kafka:
        'producer.send() of one batch, acks=-1, no compression, not idempotent (kafkajs has no linger.ms: the batch is the bench’s)',
      rabbitmq:
        'confirm channel, persistent messages, a batch resolves when every message in it is confirmed',
    },
    consume: {
      kafka:
        'one consumer group member, eachMessage, autoCommit after each fetched batch (kafkajs default)',
      rabbitmq: `prefetch ${prefetch}, manual ack after each message`,
      processing: 'one message at a time per consumer (RabbitMQ handlers chained)',
    },
    fixedRate: {
      ratePerSec,
      seconds,
      mode: 'open loop, one message per send, each awaited for its ack',
    },
    crash: {
      messages: crashMessages,
      killAfter,
      how: 'child consumer reports each processed id, SIGKILLs itself after the Nth before acking/resolving it',
      kafkaSessionTimeoutMs: 6_000,
    },
    ordering: {
      messages: orderingMessages,
      customerKeys: ORDERING_KEYS,
      publish: `batches of ${ORDERING_BATCH}, one in flight`,
      workMsPerMessage: '1-3 (hash of id)',
      competingConsumers: competing,
    },
  },
  summary,
  rounds: { throughput, fixedRate },
  crash,
  replay,
  ordering,
};

if (quick) {
  console.log(JSON.stringify({ summary, crash, replay, ordering }, null, 2));
  console.log(`quick run: nothing written (${elapsed()})`);
  process.exit(0);
}
const byRound = (xs: { y: number | null }[]) =>
  xs.flatMap((p, i): [number, number][] => (p.y === null ? [] : [[i + 1, p.y]]));
const svg = renderLineChart({
  title: `Kafka ${result.versions.kafka} vs RabbitMQ ${rabbitVersion} (quorum queue), 1 KB orders, this machine`,
  xLabel: 'round (brokers interleaved)',
  panels: [
    {
      title: `Flat out: ${messages.toLocaleString('en')} messages, consumed msgs/s`,
      yLabel: 'msgs/s',
      series: variants.map((v) => ({
        name: `${v.label} consumed`,
        points: byRound(throughput[v.label]!.map((r) => ({ y: r.consumedPerSec }))),
      })),
    },
    {
      title: `End-to-end latency at ${ratePerSec} msgs/s, ms`,
      yLabel: 'ms (log)',
      yLog: true,
      series: variants.flatMap((v) => [
        {
          name: `${v.label} p50`,
          points: byRound(fixedRate[v.label]!.map((r) => ({ y: r.endToEnd.p50Ms }))),
        },
        {
          name: `${v.label} p99`,
          points: byRound(fixedRate[v.label]!.map((r) => ({ y: r.endToEnd.p99Ms }))),
        },
      ]),
    },
  ],
});
await writeResult({
  pocDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  poc: 'poc-46',
  bench: 'kafka-vs-rabbitmq',
  script: 'bench:compare',
  write: args.write,
  services: { kafka: result.versions.kafka, rabbitmq: rabbitVersion },
  data: result,
  files: { 'kafka-vs-rabbitmq.svg': svg },
});
console.log(`done in ${elapsed()}`);
