/**
 * Duplicate shipments on demand: lost acks (redeliveries), concurrent copies (the
 * check-then-act race), and a replay after a Redis restart; then the fix.
 *
 *   pnpm --filter poc-74 break [--orders 500 --redeliveries 3 --copies 2 --scenario all]
 *
 * Steady state (the hypothesis): with atomic SET NX PX dedup plus the Postgres unique
 * constraint, 500 orders end as exactly 500 shipments (0 duplicates) whatever is injected:
 * 3 lost acks per message, 2 concurrent copies per order, a replay of every order after
 * Redis lost its keys. Without dedup each fault ships orders again; check-then-act stops
 * sequential redeliveries but not concurrent copies; Redis alone forgets on restart.
 */

import { intFlag, parseCli } from '@pocs/shared/cli';
import { printTable } from '@pocs/shared/table';
import type { DedupStrategy } from '../src/config.ts';
import { loadConfig } from '../src/config.ts';
import { type DedupRunResult, runDedupExperiment } from '../src/experiments/dedup.ts';
import { type PrivateRedis, startPrivateRedis } from '../src/experiments/private-redis.ts';

const scenarios = ['redeliver', 'race', 'restart', 'all'] as const;
const args = parseCli(
  `usage: pnpm --filter poc-74 break [options]
  --scenario      redeliver | race | restart | all (default all; env BREAK_SCENARIO)
  --orders        orders published per run (default 500; env BREAK_ORDERS)
  --redeliveries  lost acks per message in "redeliver" (default 3)
  --copies        concurrent copies per order in "race" (default 2)
  --consumers     consumer channels (default 2)
  --prefetch      unacked messages per consumer (default 20)
  --redis-port    port of the private, restartable redis-server for "restart" (default 6489)`,
  {
    scenario: { type: 'string', default: process.env.BREAK_SCENARIO ?? 'all' },
    orders: { type: 'string', default: process.env.BREAK_ORDERS ?? '500' },
    redeliveries: { type: 'string', default: '3' },
    copies: { type: 'string', default: '2' },
    consumers: { type: 'string', default: '2' },
    prefetch: { type: 'string', default: '20' },
    'redis-port': { type: 'string', default: '6489' },
  },
);
const scenario = args.scenario as (typeof scenarios)[number];
if (!scenarios.includes(scenario)) {
  console.error(`--scenario must be one of ${scenarios.join(', ')}, got "${args.scenario}"`);
  process.exit(2);
}
const orders = intFlag('orders', args.orders);
const redeliveries = intFlag('redeliveries', args.redeliveries);
const copies = intFlag('copies', args.copies, 2);
const redisPort = intFlag('redis-port', args['redis-port']);
if (redisPort === 6379) {
  console.error('--redis-port 6379 is the shared Redis: the restart scenario must never kill it');
  process.exit(2);
}
const config = loadConfig();
const common = {
  postgresUrl: config.POSTGRES_URL,
  redisUrl: config.REDIS_URL,
  rabbitmqUrl: config.RABBITMQ_URL,
  orders,
  copies: 1,
  redeliverTimes: 0,
  consumers: intFlag('consumers', args.consumers),
  prefetch: intFlag('prefetch', args.prefetch),
  timeoutMs: 120_000,
};

console.log(
  `Hypothesis: with atomic SET NX PX dedup + the unique constraint on shipments(order_id), ` +
    `${orders} orders end as exactly ${orders} shipments (0 duplicates) under every fault below.\n`,
);

const rows: Record<string, Record<string, number | string>> = {};
const record = (label: string, injected: string, r: DedupRunResult) => {
  rows[label] = {
    injected,
    strategy: r.strategy,
    'unique constraint': r.uniqueGuard ? 'on' : 'off',
    published: r.published + r.replayed,
    redelivered: r.consumer.redelivered,
    'skipped by Redis': r.consumer.outcomes.duplicate,
    'caught by constraint': r.consumer.sideEffects.conflict,
    shipments: r.final.shipments,
    'duplicate shipments': r.final.duplicates,
  };
  console.log(
    `  ${label}: ${r.final.shipments} shipments for ${r.final.ordersShipped} orders → ${r.final.duplicates} duplicates`,
  );
};
const fixRuns: DedupRunResult[] = [];

if (scenario === 'redeliver' || scenario === 'all') {
  const injected = `${redeliveries} lost acks/msg`;
  console.log(
    `▶ redeliver: every delivery is nacked (requeued) ${redeliveries} times after its side effect ran, as if the ack were lost`,
  );
  for (const strategy of ['none', 'check-then-act', 'atomic'] as DedupStrategy[]) {
    const r = await runDedupExperiment({
      ...common,
      strategy,
      uniqueGuard: false,
      redeliverTimes: redeliveries,
    });
    record(`redeliver / ${strategy}`, injected, r);
  }
  const fix = await runDedupExperiment({
    ...common,
    strategy: 'atomic',
    uniqueGuard: true,
    redeliverTimes: redeliveries,
  });
  fixRuns.push(fix);
  record('redeliver / atomic + constraint', injected, fix);
}

if (scenario === 'race' || scenario === 'all') {
  const injected = `${copies} concurrent copies/order`;
  console.log(
    `▶ race: every order published ${copies} times back to back, ${common.consumers} consumers × prefetch ${common.prefetch} handle the copies at once`,
  );
  for (const strategy of ['none', 'check-then-act', 'atomic'] as DedupStrategy[]) {
    const r = await runDedupExperiment({ ...common, strategy, uniqueGuard: false, copies });
    record(`race / ${strategy}`, injected, r);
  }
  const fix = await runDedupExperiment({
    ...common,
    strategy: 'atomic',
    uniqueGuard: true,
    copies,
  });
  fixRuns.push(fix);
  record('race / atomic + constraint', injected, fix);
}

if (scenario === 'restart' || scenario === 'all') {
  console.log(
    `▶ restart: a private redis-server on ${redisPort} (no persistence); process ${orders} orders, ` +
      `kill -9 and restart Redis, replay all ${orders}`,
  );
  let redis: PrivateRedis | undefined;
  try {
    redis = await startPrivateRedis({ port: redisPort });
    const restartRun = (uniqueGuard: boolean, restart: boolean) =>
      runDedupExperiment({
        ...common,
        redisUrl: redis!.url,
        strategy: 'atomic',
        uniqueGuard,
        replay: orders,
        beforeReplay: restart ? () => redis!.restart() : undefined,
      });
    record('replay, Redis kept / atomic', 'replay all', await restartRun(false, false));
    record(
      'replay after restart / atomic',
      'Redis restart + replay',
      await restartRun(false, true),
    );
    const fix = await restartRun(true, true);
    fixRuns.push(fix);
    record('replay after restart / atomic + constraint', 'Redis restart + replay', fix);
  } finally {
    await redis?.stop();
  }
}

console.log('\nWhat moved:');
printTable(rows);
const held = fixRuns.every((r) => r.final.duplicates === 0 && r.final.shipments === orders);
console.log(
  held
    ? `Steady state held: with atomic dedup + the unique constraint every run ended at ${orders} shipments, 0 duplicates.`
    : 'Steady state did NOT hold with the fix: look at the rows marked "atomic + constraint".',
);
const worst = Object.entries(rows)
  .filter(([label]) => !label.endsWith('atomic + constraint'))
  .sort(([, a], [, b]) => Number(b['duplicate shipments']) - Number(a['duplicate shipments']))[0];
console.log(
  'The fix: claim each order with one atomic SET key NX PX (not GET then SET) and keep the unique constraint on ' +
    'shipments(order_id) for what Redis forgets: duplicate shipments ' +
    (worst ? `${worst[1]['duplicate shipments']} (worst, ${worst[0]}) → ` : '') +
    `${fixRuns.map((r) => r.final.duplicates).join(' / ')} in the ${fixRuns.length} fixed runs, ` +
    `${fixRuns.reduce((n, r) => n + r.consumer.sideEffects.conflict, 0)} copies caught by the constraint.`,
);
console.log(
  'Cleaned up: consumers stopped, run schemas dropped, run queues deleted, run Redis keys deleted' +
    (scenario === 'restart' || scenario === 'all'
      ? `, private redis-server on ${redisPort} stopped.`
      : '.'),
);
process.exitCode = held ? 0 : 1;
