/**
 * What dedup costs: ops/s and latency of one dedup decision, Redis vs Postgres, at rising
 * concurrency; and what it adds to the consumer end to end.
 *
 *   pnpm --filter poc-74 bench [--ops 4000] [--orders 5000] [--rounds 3]
 *
 * Writes results/dedup-cost.json and results/dedup-cost.svg.
 */
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { createPool } from '@pocs/shared/pool';
import { writeResult } from '@pocs/shared/results';
import { postgresVersion, rabbitmqVersion, redisVersion } from '@pocs/shared/service-versions';
import { median, percentile, sortAsc } from '@pocs/shared/stats';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deleteKeys, runDedupExperiment } from '../scripts/experiment.ts';
import { loadConfig } from '../src/config.ts';
import { claim, dedupKey } from '../src/dedup.ts';
import { claimInPostgres, ensureSchema, tables } from '../src/store.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-74 bench [options]
  --ops     dedup decisions per (method, concurrency) point (default 4000)
  --orders  orders per end-to-end consumer run (default 5000)
  --rounds  end-to-end runs per setup, median reported (default 3)`,
  {
    ops: { type: 'string', default: '4000' },
    orders: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
  },
);
const rounds = intFlag('rounds', args.rounds);
const ops = intFlag('ops', args.ops);
const orders = intFlag('orders', args.orders);
const config = loadConfig();
const concurrencies = [1, 4, 16, 64];
const pocDir = join(dirname(fileURLToPath(import.meta.url)), '..');

type Method = 'redis SET NX PX' | 'redis GET then SET' | 'postgres insert on conflict';

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** Percentile in ms with µs resolution: dedup decisions take well under a millisecond. */
const pct = (sorted: number[], q: number) =>
  Math.round(percentile(sorted, q, { sorted: true }) * 1000) / 1000;

/** `concurrency` workers take message ids off one counter until `ops` decisions are made. */
async function measure(concurrency: number, decide: (id: string) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const run = randomUUID();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops) {
        const id = `${run}-${next++}`;
        const t = performance.now();
        await decide(id);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const sorted = sortAsc(latencies);
  return {
    concurrency,
    ops,
    opsPerSec: Math.round(ops / seconds),
    p50Ms: pct(sorted, 0.5),
    p99Ms: pct(sorted, 0.99),
  };
}

const prefix = `poc74:bench:${randomUUID()}:`;
const schema = `poc74_bench_${process.pid}`;
const redis = new Redis(config.REDIS_URL, { lazyConnect: true, disconnectTimeout: 0 });
await redis.connect();
const pool = createPool({
  connectionString: config.POSTGRES_URL,
  name: 'bench',
  applicationName: 'poc-74-bench',
  max: 16,
  acquireTimeoutMs: 10_000,
});
const db = tables(schema);
const primitives: ({ method: Method } & Awaited<ReturnType<typeof measure>>)[] = [];
const consumer: {
  setup: string;
  orders: number;
  firstPassMs: number;
  roundsMs: number[];
  messagesPerSec: number;
  /** Mean time per delivery inside the real consumer, in ms, over all rounds. */
  dedupMsPerMessage: number;
  shipmentInsertMsPerMessage: number;
  duplicates: number;
}[] = [];
try {
  await ensureSchema(pool, db, true);
  const methods: [Method, (id: string) => Promise<unknown>][] = [
    ['redis SET NX PX', (id) => claim(redis, dedupKey(prefix, id), 30_000)],
    [
      'redis GET then SET',
      async (id) => {
        await redis.get(dedupKey(prefix, id));
        await redis.set(dedupKey(prefix, id), 'done', 'PX', 30_000);
      },
    ],
    ['postgres insert on conflict', (id) => claimInPostgres(pool, db, id)],
  ];
  for (const [method, decide] of methods) {
    await measure(8, decide); // warm up connections and JIT
    for (const c of concurrencies) {
      const row = { method, ...(await measure(c, decide)) };
      primitives.push(row);
      console.log(
        `${method.padEnd(28)} c=${String(c).padStart(2)}: ${String(row.opsPerSec).padStart(6)} ops/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`,
      );
    }
  }

  // End to end: the same orders through the consumer, with and without dedup.
  const setups: [string, 'none' | 'atomic', boolean][] = [
    ['no dedup', 'none', false],
    ['redis SET NX PX', 'atomic', false],
    ['redis SET NX PX + unique constraint', 'atomic', true],
    ['unique constraint only', 'none', true],
  ];
  const runSetup = async (strategy: 'none' | 'atomic', uniqueGuard: boolean) =>
    runDedupExperiment({
      postgresUrl: config.POSTGRES_URL,
      redisUrl: config.REDIS_URL,
      rabbitmqUrl: config.RABBITMQ_URL,
      strategy,
      uniqueGuard,
      orders,
      copies: 1,
      redeliverTimes: 0,
      consumers: 2,
      prefetch: 20,
      timeoutMs: 120_000,
    });
  await runSetup('atomic', true); // warm-up, discarded
  // Interleaved rounds, median per setup: one slow round (another process) cannot decide it.
  const times = new Map<string, number[]>(setups.map(([s]) => [s, []]));
  const dupes = new Map<string, number>();
  const inside = new Map<string, { dedupMs: number; effectMs: number; deliveries: number }>(
    setups.map(([s]) => [s, { dedupMs: 0, effectMs: 0, deliveries: 0 }]),
  );
  for (let round = 0; round < rounds; round++) {
    for (const [setup, strategy, uniqueGuard] of setups) {
      const r = await runSetup(strategy, uniqueGuard);
      times.get(setup)!.push(r.firstPassMs);
      const acc = inside.get(setup)!;
      acc.dedupMs += r.consumer.dedupMsTotal;
      acc.effectMs += r.consumer.sideEffectMsTotal;
      acc.deliveries += r.consumer.deliveries;
      dupes.set(setup, Math.max(dupes.get(setup) ?? 0, r.final.duplicates));
    }
  }
  for (const [setup] of setups) {
    const firstPassMs = median(times.get(setup)!);
    const row = {
      setup,
      orders,
      firstPassMs,
      roundsMs: times.get(setup)!,
      messagesPerSec: Math.round((orders * 1000) / firstPassMs),
      dedupMsPerMessage: round3(inside.get(setup)!.dedupMs / inside.get(setup)!.deliveries),
      shipmentInsertMsPerMessage: round3(
        inside.get(setup)!.effectMs / inside.get(setup)!.deliveries,
      ),
      duplicates: dupes.get(setup)!,
    };
    consumer.push(row);
    console.log(
      `consumer, ${setup.padEnd(36)}: ${row.messagesPerSec} msg/s (median of ${rounds}: ${orders} in ${firstPassMs} ms); ` +
        `per message: dedup ${row.dedupMsPerMessage} ms, shipment insert ${row.shipmentInsertMsPerMessage} ms`,
    );
  }
} finally {
  await deleteKeys(config.REDIS_URL, prefix);
  redis.disconnect();
  const client = new pg.Client({ connectionString: config.POSTGRES_URL });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
  await pool.end();
}

const at = (method: Method, c: number) =>
  primitives.find((r) => r.method === method && r.concurrency === c)!;
const summary = {
  p50AddedMsSerial: Object.fromEntries(
    (['redis SET NX PX', 'redis GET then SET', 'postgres insert on conflict'] as Method[]).map(
      (m) => [m, at(m, 1).p50Ms],
    ),
  ),
  peakOpsPerSec: Object.fromEntries(
    (['redis SET NX PX', 'redis GET then SET', 'postgres insert on conflict'] as Method[]).map(
      (m) => [m, Math.max(...primitives.filter((r) => r.method === m).map((r) => r.opsPerSec))],
    ),
  ),
  consumerDedupMsPerMessage: Object.fromEntries(
    consumer.map((r) => [r.setup, r.dedupMsPerMessage]),
  ),
  consumerShipmentInsertMsPerMessage: Object.fromEntries(
    consumer.map((r) => [r.setup, r.shipmentInsertMsPerMessage]),
  ),
};
const data = { opsPerPoint: ops, summary, primitives, consumer };
const series = (field: 'opsPerSec' | 'p50Ms') =>
  (['redis SET NX PX', 'redis GET then SET', 'postgres insert on conflict'] as Method[]).map(
    (m) => ({
      name: m === 'postgres insert on conflict' ? 'postgres insert' : m,
      points: primitives
        .filter((r) => r.method === m)
        .map((r) => [r.concurrency, r[field]] as [number, number]),
    }),
  );
const chart = renderLineChart({
  title: 'One dedup decision: Redis vs Postgres',
  xLabel: 'concurrent callers',
  xLog: true,
  panels: [
    { title: 'throughput', yLabel: 'decisions/s', series: series('opsPerSec') },
    { title: 'latency p50', yLabel: 'ms', series: series('p50Ms') },
  ],
});
await writeResult({
  pocDir,
  poc: 'poc-74',
  bench: 'dedup-cost',
  script: 'bench:cost',
  write: args.write,
  services: {
    redis: await redisVersion(config.REDIS_URL),
    postgres: await postgresVersion(config.POSTGRES_URL),
    rabbitmq: await rabbitmqVersion(config.RABBITMQ_URL),
  },
  data,
  files: { 'dedup-cost.svg': chart },
});
