/**
 * Broker stop/start mid-stream, repeated: per instance (fixed, 202 before the ack, no unique
 * order_id), how many acknowledged orders are lost or duplicated, how long orders were
 * refused, and how long the broker took to stop and start. Medians over --rounds.
 *
 *   pnpm --filter poc-46 bench:outage [--rounds 3 --port 9147]
 *
 * Writes results/outage.json and results/outage.svg.
 */

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { writeResult } from '@pocs/shared/results';
import { localKafkaVersion, postgresVersion } from '@pocs/shared/service-versions';
import { median as exactMedian } from '@pocs/shared/stats';
import { printTable } from '@pocs/shared/table';
import { loadConfig } from '../src/config.ts';
import {
  ACK_BEFORE_SEND,
  FIXED,
  NO_UNIQUE,
  type OutageOptions,
  type OutageResult,
  runOutageExperiment,
} from '../src/experiments/outage.ts';
import { BREAK_BROKER_PORT } from '../src/experiments/private-broker.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-46 bench:outage [options]
  --rounds  broker stop/start cycles (default 3)
  --port    port of the private broker (default ${BREAK_BROKER_PORT}; state in .services/poc-46-bench)`,
  {
    rounds: { type: 'string', default: '3' },
    port: { type: 'string', default: String(BREAK_BROKER_PORT) },
  },
);
const rounds = intFlag('rounds', args.rounds);
const options: OutageOptions = {
  port: intFlag('port', args.port),
  stateName: 'poc-46-bench',
  twins: [FIXED, ACK_BEFORE_SEND, NO_UNIQUE],
  clients: 2,
  orderIntervalMs: 20,
  warmupMs: 3_000,
  downMs: 3_000,
  afterMs: 3_000,
  produceTimeoutMs: 2_000,
  clientRetryMs: 250,
  partitions: 6,
};
// Counts and whole ms: rounding keeps the median of an even number of rounds whole.
const median = (xs: number[]) => Math.round(exactMedian(xs));

const runs: OutageResult[] = [];
for (let i = 0; i < rounds; i++) {
  const r = await runOutageExperiment(options);
  runs.push(r);
  console.log(
    `round ${i + 1}: broker down ${r.downToMs - r.downFromMs} ms; ` +
      r.twins.map((t) => `${t.label}: ${t.missing} lost, ${t.duplicated} duplicated`).join('; '),
  );
}

const fields = [
  'attempted',
  'acknowledged',
  'rejected',
  'longestGapMs',
  'records',
  'rows',
  'missing',
  'duplicated',
  'extraRows',
  'lateAcks',
  'unconfirmedFailed',
  'duplicatesSuppressed',
  'consumerCrashes',
] as const;
type Medians = Record<(typeof fields)[number], number>;
const medians = options.twins.map((twin, i) => ({
  label: twin.label,
  env: twin.env,
  ...(Object.fromEntries(
    fields.map((f) => [f, median(runs.map((r) => r.twins[i]![f]))]),
  ) as Medians),
}));
const broker = {
  stopMs: median(runs.map((r) => r.stopMs)),
  startMs: median(runs.map((r) => r.startMs)),
  downMs: median(runs.map((r) => r.downToMs - r.downFromMs)),
};
// The chart shows the round whose lost count (202 before the ack) is the median one.
const lostOf = (r: OutageResult) => r.twins[1]!.missing;
const shown = [...runs].sort((a, b) => lostOf(a) - lostOf(b))[Math.floor(runs.length / 2)]!;

const data = {
  setup: {
    broker: 'private single KRaft broker (replication factor 1), stopped with SIGTERM',
    ...options,
    twins: options.twins.map((t) => ({ label: t.label, env: t.env })),
  },
  rounds,
  median: { broker, twins: medians },
  runs: runs.map((r) => ({
    ...r,
    twins: r.twins.map(({ timeline, ...t }) => t),
  })),
  shownRound: {
    downFromMs: shown.downFromMs,
    downToMs: shown.downToMs,
    timelines: shown.twins.map((t) => ({ label: t.label, timeline: t.timeline })),
  },
};
const markers = [
  { x: shown.downFromMs / 1000, label: 'broker stop' },
  { x: shown.downToMs / 1000, label: 'broker back' },
];
const chart = renderLineChart({
  title: 'Broker stopped mid-stream and started again (one private broker)',
  xLabel: 'seconds since traffic started',
  panels: [
    {
      title: 'orders answered 202 per second',
      yLabel: 'orders/s',
      markers,
      series: shown.twins.map((t) => ({
        name: t.label.replace(/ \(BREAK_.*\)/, ''),
        points: t.timeline.map((p) => [p.second, p.accepted] as [number, number]),
      })),
    },
    {
      title: 'of those, never written to Postgres (lost), by the second of their 202',
      yLabel: 'orders',
      markers,
      series: shown.twins.map((t) => ({
        name: t.label.replace(/ \(BREAK_.*\)/, ''),
        points: t.timeline.map((p) => [p.second, p.lost] as [number, number]),
      })),
    },
  ],
});
await writeResult({
  pocDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  poc: 'poc-46',
  bench: 'outage',
  script: 'bench:outage',
  argv: ['--rounds', String(rounds), ...(args.write ? ['--write'] : [])],
  write: args.write,
  services: {
    kafka: localKafkaVersion(),
    postgres: await postgresVersion(loadConfig().POSTGRES_URL),
  },
  data,
  files: { 'outage.svg': chart },
});
printTable(Object.fromEntries(medians.map(({ label, env: _env, ...m }) => [label, m])));
console.log(
  `broker median: stop ${broker.stopMs} ms, start ${broker.startMs} ms, unavailable ${broker.downMs} ms`,
);
