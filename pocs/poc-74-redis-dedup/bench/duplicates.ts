/**
 * Duplicate shipments by fault and dedup setup: lost acks per message (0..3), concurrent
 * copies per order (1..4), and a replay after a Redis restart.
 *
 *   pnpm --filter poc-74 bench:duplicates [--orders 200] [--redis-port 6489]
 *
 * Writes results/duplicates.json and results/duplicates.svg.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { writeResult } from '@pocs/shared/results';
import { postgresVersion, rabbitmqVersion, redisVersion } from '@pocs/shared/service-versions';
import { runDedupExperiment } from '../scripts/experiment.ts';
import { type PrivateRedis, startPrivateRedis } from '../scripts/private-redis.ts';
import { type DedupStrategy, loadConfig } from '../src/config.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-74 bench:duplicates [options]
  --orders      orders per run (default 200)
  --redis-port  port of the private, restartable redis-server (default 6489)`,
  { orders: { type: 'string', default: '200' }, 'redis-port': { type: 'string', default: '6489' } },
);
const orders = intFlag('orders', args.orders);
const redisPort = intFlag('redis-port', args['redis-port']);
const config = loadConfig();
const common = {
  postgresUrl: config.POSTGRES_URL,
  redisUrl: config.REDIS_URL,
  rabbitmqUrl: config.RABBITMQ_URL,
  orders,
  copies: 1,
  redeliverTimes: 0,
  consumers: 2,
  prefetch: 20,
  timeoutMs: 120_000,
};
const setups: [string, DedupStrategy, boolean][] = [
  ['none', 'none', false],
  ['check-then-act', 'check-then-act', false],
  ['atomic SET NX PX', 'atomic', false],
  ['atomic + unique constraint', 'atomic', true],
  ['unique constraint only', 'none', true],
];
const pocDir = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Row {
  setup: string;
  x: number;
  published: number;
  shipments: number;
  duplicates: number;
}
const redeliveries: Row[] = [];
const copies: Row[] = [];
for (const times of [0, 1, 2, 3]) {
  for (const [setup, strategy, uniqueGuard] of setups) {
    const r = await runDedupExperiment({ ...common, strategy, uniqueGuard, redeliverTimes: times });
    redeliveries.push({
      setup,
      x: times,
      published: r.published,
      shipments: r.final.shipments,
      duplicates: r.final.duplicates,
    });
    console.log(`lost acks ${times}, ${setup.padEnd(26)}: ${r.final.duplicates} duplicates`);
  }
}
for (const n of [1, 2, 3, 4]) {
  for (const [setup, strategy, uniqueGuard] of setups) {
    const r = await runDedupExperiment({ ...common, strategy, uniqueGuard, copies: n });
    copies.push({
      setup,
      x: n,
      published: r.published,
      shipments: r.final.shipments,
      duplicates: r.final.duplicates,
    });
    console.log(`copies ${n}, ${setup.padEnd(26)}: ${r.final.duplicates} duplicates`);
  }
}

const restart: {
  setup: string;
  redisRestarted: boolean;
  replayed: number;
  shipments: number;
  duplicates: number;
  caughtByConstraint: number;
}[] = [];
let redis: PrivateRedis | undefined;
try {
  redis = await startPrivateRedis({ port: redisPort });
  const cases: [string, boolean, boolean][] = [
    ['atomic SET NX PX', false, false],
    ['atomic SET NX PX', false, true],
    ['atomic + unique constraint', true, true],
    ['unique constraint only', true, true],
  ];
  for (const [setup, uniqueGuard, restarted] of cases) {
    const r = await runDedupExperiment({
      ...common,
      redisUrl: redis.url,
      strategy: setup === 'unique constraint only' ? 'none' : 'atomic',
      uniqueGuard,
      replay: orders,
      beforeReplay: restarted ? () => redis!.restart() : undefined,
    });
    restart.push({
      setup,
      redisRestarted: restarted,
      replayed: r.replayed,
      shipments: r.final.shipments,
      duplicates: r.final.duplicates,
      caughtByConstraint: r.consumer.sideEffects.conflict,
    });
    console.log(
      `replay ${restarted ? 'after a Redis restart' : 'with Redis intact'}, ${setup}: ${r.final.duplicates} duplicates`,
    );
  }
} finally {
  await redis?.stop();
}

const data = {
  orders,
  consumers: common.consumers,
  prefetch: common.prefetch,
  redeliveries,
  copies,
  restart,
};
// Short legend names (the chart's legend column is narrow); the JSON keeps the full ones.
const legend: Record<string, string> = {
  none: 'none',
  'check-then-act': 'check-then-act',
  'atomic SET NX PX': 'SET NX PX',
  'atomic + unique constraint': 'SET NX + constraint',
  'unique constraint only': 'constraint only',
};
/** x = extra deliveries of each message: lost acks, or copies beyond the first. */
const series = (rows: Row[], extra: (x: number) => number) =>
  setups.map(([setup]) => ({
    name: legend[setup] ?? setup,
    points: rows
      .filter((r) => r.setup === setup)
      .map((r) => [extra(r.x), r.duplicates] as [number, number]),
  }));
const chart = renderLineChart({
  title: `Duplicate shipments for ${orders} orders (SET NX and constraint lines sit on 0)`,
  xLabel: 'extra deliveries per message: lost acks (top), extra copies published at once (bottom)',
  panels: [
    {
      title: 'redeliveries after lost acks',
      yLabel: 'duplicate shipments',
      series: series(redeliveries, (x) => x),
    },
    {
      title: 'concurrent copies',
      yLabel: 'duplicate shipments',
      series: series(copies, (x) => x - 1),
    },
  ],
});
await writeResult({
  pocDir,
  poc: 'poc-74',
  bench: 'duplicates',
  script: 'bench:duplicates',
  write: args.write,
  services: {
    rabbitmq: await rabbitmqVersion(config.RABBITMQ_URL),
    redis: await redisVersion(config.REDIS_URL),
    postgres: await postgresVersion(config.POSTGRES_URL),
  },
  data,
  files: { 'duplicates.svg': chart },
});
