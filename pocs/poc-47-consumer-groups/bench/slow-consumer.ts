/**
 * Bench: the slow consumer, broken vs fixed. 2 members, 2 partitions, 80 messages per
 * partition at 100 ms CPU each (8 s batches) against a 6 s session timeout. Each mode is
 * watched for up to --observe-s; medians of --rounds rounds. The chart is round 1.
 *
 *   pnpm --filter poc-47 bench:slow [--rounds 3] [--observe-s 30]
 */

import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { median } from '@pocs/shared/stats';
import { printTable } from '@pocs/shared/table';
import { runSlowConsumer, type SlowConsumerResult } from '../src/experiments/slow-consumer.ts';
import { writeResults } from './results-io.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-47 bench:slow [options]
  --rounds     rounds per mode (default 3)
  --observe-s  longest watch per round, s (default 30)`,
  { rounds: { type: 'string', default: '3' }, 'observe-s': { type: 'string', default: '30' } },
);
const rounds = intFlag('rounds', args.rounds);
const observeMs = intFlag('observe-s', args['observe-s']) * 1000;
const load = {
  consumers: 2,
  partitions: 2,
  messages: 160,
  processMs: 100,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
  observeMs,
};

const results: SlowConsumerResult[] = [];
const rows = [];
for (const blocking of [true, false]) {
  const rs: SlowConsumerResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    const r = await runSlowConsumer({ ...load, blocking });
    console.log(
      `${r.mode} round ${round}: ${r.joinsAfterStable} rejoins, ${r.redelivered} redelivered, ` +
        `final lag ${r.finalLag}, drained ${r.drainedSec === null ? 'never' : `in ${r.drainedSec} s`}`,
    );
    rs.push(r);
  }
  results.push(...rs);
  const drained = rs.filter((r) => r.drainedSec !== null);
  rows.push({
    mode: rs[0]?.mode,
    rounds,
    observeSec: observeMs / 1000,
    medianRejoins: median(rs.map((r) => r.joinsAfterStable)),
    medianRebalanceNotices: median(rs.map((r) => r.rebalanceNoticesAfterStable)),
    medianRedelivered: median(rs.map((r) => r.redelivered)),
    medianFinalLag: median(rs.map((r) => r.finalLag)),
    roundsDrained: drained.length,
    medianDrainedSec: drained.length ? median(drained.map((r) => r.drainedSec as number)) : null,
  });
}
printTable(rows);

const first = (blocking: boolean) =>
  results.find((r) => r.options.blocking === blocking) as SlowConsumerResult;
const line = (r: SlowConsumerResult, key: 'lag' | 'redelivered' | 'joins', name: string) => ({
  name,
  points: r.timeline.map((t) => [t.tSec, t[key]] as [number, number]),
});
const broken = first(true);
const fixed = first(false);
await writeResults(
  'slow-consumer',
  {
    brokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    load,
    rows,
    results,
  },
  renderLineChart({
    title: 'Slow consumer: 8 s batches vs a 6 s session timeout (round 1)',
    xLabel: 'seconds since the backlog was produced',
    panels: [
      {
        title: 'group lag',
        yLabel: 'messages',
        series: [line(broken, 'lag', 'blocking batch'), line(fixed, 'lag', 'heartbeat + commit')],
      },
      {
        title: 'redelivered (sink dropped them)',
        yLabel: 'messages',
        series: [
          line(broken, 'redelivered', 'blocking batch'),
          line(fixed, 'redelivered', 'heartbeat + commit'),
        ],
      },
      {
        title: 'rejoins after the group was stable',
        yLabel: 'joins',
        series: [
          line(broken, 'joins', 'blocking batch'),
          line(fixed, 'joins', 'heartbeat + commit'),
        ],
      },
    ],
  }),
  {
    script: 'bench:slow',
    argv: ['--rounds', String(rounds), '--observe-s', String(observeMs / 1000)],
    write: args.write,
  },
);
