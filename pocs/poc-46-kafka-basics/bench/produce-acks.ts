/**
 * What the 202 costs: broker-ack latency and throughput of the service's producer with
 * PRODUCER_ACKS=1 (leader only) vs PRODUCER_ACKS=-1 (all in-sync replicas, idempotent),
 * at 1, 8 and 32 orders in flight. Runs against the shared brokers (KAFKA_BROKERS): on the
 * 3-broker cluster acks=-1 waits for a follower, on one broker it cannot.
 *
 *   pnpm --filter poc-46 bench:acks [--rounds 3 --seconds 2]
 *
 * Writes results/produce-acks.json and results/produce-acks.svg.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka } from '@pocs/kafka';
import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { writeResult } from '@pocs/shared/results';
import { localKafkaVersion } from '@pocs/shared/service-versions';
import { median, percentile, sortAsc } from '@pocs/shared/stats';
import { loadConfig } from '../src/config.ts';
import { ensureTopic, serviceClientSettings } from '../src/kafka.ts';
import { createOrderProducer } from '../src/producer.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-46 bench:acks [options]
  --rounds   rounds per setting; medians are reported (default 3)
  --seconds  seconds per measurement (default 2)`,
  { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '2' } },
);
const rounds = intFlag('rounds', args.rounds);
const seconds = intFlag('seconds', args.seconds);
const config = loadConfig();
const brokers = config.KAFKA_BROKERS;
const kafka = createKafka({
  brokers,
  clientId: 'poc-46-bench',
  logger: silentLogger,
  ...serviceClientSettings,
});
const admin = kafka.admin();
await admin.connect();
const topic = `poc46.bench.acks.${randomBytes(3).toString('hex')}`;
const PARTITIONS = 6;
await ensureTopic(admin, topic, PARTITIONS);
const cluster = await admin.describeCluster();
const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
const replicationFactor = meta?.partitions[0]?.replicas.length ?? 0;

async function measure(acks: -1 | 1, inFlight: number) {
  const producer = await createOrderProducer({
    kafka,
    topic,
    acks,
    retries: 5,
    timeoutMs: 10_000,
    registry: createRegistry({ defaultMetrics: false }),
    logger: silentLogger,
  });
  try {
    const latencies: number[] = [];
    const until = performance.now() + seconds * 1000;
    const worker = async (w: number) => {
      for (let i = 0; performance.now() < until; i++) {
        const started = performance.now();
        await producer.send({
          orderId: randomUUID(),
          customerId: `c-${w}-${i % 50}`,
          amountCents: 1,
        });
        latencies.push(performance.now() - started);
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(w)));
    const elapsed = (performance.now() - t0) / 1000;
    const sorted = sortAsc(latencies);
    return {
      ordersPerSec: Math.round(latencies.length / elapsed),
      p50Ms: Number(percentile(sorted, 0.5, { sorted: true }).toFixed(2)),
      p99Ms: Number(percentile(sorted, 0.99, { sorted: true }).toFixed(2)),
    };
  } finally {
    await producer.disconnect();
  }
}

const rows: Array<{
  acks: string;
  inFlight: number;
  ordersPerSec: number;
  p50Ms: number;
  p99Ms: number;
  rounds: unknown[];
}> = [];
try {
  for (const inFlight of [1, 8, 32]) {
    for (const acks of [1, -1] as const) {
      const runs = [];
      for (let r = 0; r < rounds; r++) runs.push(await measure(acks, inFlight));
      const row = {
        acks: acks === -1 ? 'all (-1), idempotent' : 'leader (1)',
        inFlight,
        ordersPerSec: median(runs.map((x) => x.ordersPerSec)),
        p50Ms: median(runs.map((x) => x.p50Ms)),
        p99Ms: median(runs.map((x) => x.p99Ms)),
        rounds: runs,
      };
      rows.push(row);
      console.log(
        `acks=${acks} in flight ${inFlight}: ${row.ordersPerSec} orders/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`,
      );
    }
  }
} finally {
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
}

const data = {
  setup: {
    brokers: cluster.brokers.length,
    replicationFactor,
    partitions: PARTITIONS,
    note: 'acks=-1 uses the idempotent producer (1 request in flight per broker); acks=1 does not (5 in flight)',
  },
  rows,
};
const series = (metric: 'ordersPerSec' | 'p50Ms' | 'p99Ms') =>
  ['leader (1)', 'all (-1), idempotent'].map((acks) => ({
    name: `acks ${acks}`,
    points: rows
      .filter((r) => r.acks === acks)
      .map((r) => [r.inFlight, r[metric]] as [number, number]),
  }));
const chart = renderLineChart({
  title: `Broker ack of one order: acks=1 vs acks=all (${cluster.brokers.length} brokers, RF ${replicationFactor})`,
  xLabel: 'orders in flight',
  xLog: true,
  panels: [
    { title: 'throughput', yLabel: 'orders/s', series: series('ordersPerSec') },
    { title: 'p50 latency to the ack', yLabel: 'ms', series: series('p50Ms') },
    { title: 'p99 latency to the ack', yLabel: 'ms', series: series('p99Ms') },
  ],
});
await writeResult({
  pocDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  poc: 'poc-46',
  bench: 'produce-acks',
  script: 'bench:acks',
  argv: [
    '--rounds',
    String(rounds),
    '--seconds',
    String(seconds),
    ...(args.write ? ['--write'] : []),
  ],
  write: args.write,
  services: { kafka: localKafkaVersion() },
  data,
  files: { 'produce-acks.svg': chart },
});
