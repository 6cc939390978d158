/**
 * Bench: what a rebalance costs the members that stay, classic group protocol vs the
 * consumer protocol of KIP-848. 3 members, 6 partitions, 20 msg/s per partition; per round
 * one event (join, leave, crash); the three variants are interleaved within each round so
 * that machine noise hits them alike. Medians of --rounds rounds.
 *
 *   pnpm --filter poc-47 bench:rebalance [-- --rounds 3] [--events join,leave,crash] [--write]
 *
 * Writes results/local/rebalance-protocols.{json,svg} (git-ignored); --write updates the
 * committed results/.
 */
import { cpus, loadavg } from 'node:os';
import { parseBrokers } from '@pocs/kafka';
import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { max, median } from '@pocs/shared/stats';
import { printTable } from '@pocs/shared/table';
import { loadConfig } from '../src/config.ts';
import {
  defaultRoundOptions,
  type RebalanceEvent,
  type RoundResult,
  rebalanceEvents,
  runRebalanceRound,
  variantName,
  variants,
} from '../src/experiments/rebalance-protocols.ts';
import { writeResults } from './results-io.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-47 bench:rebalance [options]
  --rounds      rounds per (event, protocol) (default 3)
  --events      comma-separated events among join,leave,crash (default join,leave,crash)
  --variants    comma-separated among ${variants.map(variantName).join(',')} (default all)
  --rate        messages per partition per second (default ${defaultRoundOptions.ratePerPartition})
  --baseline-ms steady flow observed before each event (default ${defaultRoundOptions.baselineMs})
  --session-ms  classic session.timeout (default ${defaultRoundOptions.sessionTimeoutMs}; the consumer
                protocol's is the broker's group.consumer.session.timeout.ms, 45 s by default)
  --commit-ms   both clients commit delivered offsets every this many ms (default ${defaultRoundOptions.commitIntervalMs})
  KAFKA_BROKERS (env) bootstrap brokers (default 127.0.0.1:9092)`,
  {
    rounds: { type: 'string', default: '3' },
    events: { type: 'string', default: rebalanceEvents.join(',') },
    variants: { type: 'string', default: variants.map(variantName).join(',') },
    rate: { type: 'string', default: String(defaultRoundOptions.ratePerPartition) },
    'baseline-ms': { type: 'string', default: String(defaultRoundOptions.baselineMs) },
    'session-ms': { type: 'string', default: String(defaultRoundOptions.sessionTimeoutMs) },
    'commit-ms': { type: 'string', default: String(defaultRoundOptions.commitIntervalMs) },
  },
);
const rounds = intFlag('rounds', args.rounds);
const events = (args.events ?? '').split(',') as RebalanceEvent[];
for (const e of events) {
  if (!rebalanceEvents.includes(e)) {
    console.error(`--events: unknown event "${e}" (join, leave, crash)`);
    process.exit(2);
  }
}
const chosen = (args.variants ?? '').split(',');
const picked = variants.filter((v) => chosen.includes(variantName(v)));
if (picked.length !== chosen.length) {
  console.error(`--variants: expected some of ${variants.map(variantName).join(',')}`);
  process.exit(2);
}
const setup = {
  ...defaultRoundOptions,
  ratePerPartition: intFlag('rate', args.rate),
  baselineMs: intFlag('baseline-ms', args['baseline-ms'], 0),
  sessionTimeoutMs: intFlag('session-ms', args['session-ms'], 6_000),
  commitIntervalMs: intFlag('commit-ms', args['commit-ms']),
};
const brokers = parseBrokers(loadConfig().KAFKA_BROKERS);
const loadAtStart = loadavg()[0] as number;
console.log(
  `rebalance protocols: ${rounds} round(s) × events ${events.join(',')} × ${picked.map(variantName).join(', ')}; ` +
    `brokers ${brokers.join(',')}; 1-min load ${loadAtStart.toFixed(2)} on ${cpus().length} cores`,
);

// Broker-side group settings of the consumer protocol (Kafka defaults; the lab does not change them).
const consumerProtocolSessionMs = 45_000;
const all: RoundResult[] = [];
const startedAt = Date.now();
for (let round = 1; round <= rounds; round++) {
  for (const event of events) {
    for (const variant of picked) {
      const settleDeadlineMs =
        event === 'crash'
          ? (variant.protocol === 'consumer' ? consumerProtocolSessionMs : setup.sessionTimeoutMs) +
            30_000
          : 30_000;
      const elapsed = ((Date.now() - startedAt) / 1000).toFixed(0);
      console.log(`[${elapsed} s] round ${round}/${rounds}: ${event}, ${variantName(variant)}`);
      const r = await runRebalanceRound({
        ...setup,
        variant,
        event,
        brokers,
        settleDeadlineMs,
        log: (l) => console.log(l),
      });
      all.push(r);
      const pauses = r.remaining.map((m) => `${m.member}:${m.pauseMs ?? 'kept none'}`).join(' ');
      console.log(
        `  → settled in ${r.settleMs} ms; remaining members' longest wait (ms) ${pauses}; ` +
          `kept partitions max ${r.keptMaxPauseMs ?? '(none kept)'} ms, moved ${r.movedMaxPauseMs ?? '(none moved)'} ms, ` +
          `leaver's ${r.subjectPartitionsMaxPauseMs} ms (baseline ${r.baselineMaxMs}); ` +
          `untouched members ${r.remaining.filter((m) => m.assignmentChanges === 0).length}/${r.remaining.length}; ` +
          `${r.duplicates.total} duplicates (${r.duplicates.onKeptPartitions} on kept partitions); ` +
          `stop-the-world ${r.everyoneRevokedAtOnce ? 'yes' : 'no'}; complete ${r.complete}`,
      );
    }
  }
}

interface Row {
  event: RebalanceEvent;
  variant: string;
  rounds: number;
  /** Median over rounds of the median remaining member's longest wait (members that kept a partition). */
  medianMemberPauseMs: number | null;
  medianGroupMaxPauseMs: number;
  /** Over the rounds in which some partition kept (moved) its owner; null if none did. */
  medianKeptMaxPauseMs: number | null;
  medianMovedMaxPauseMs: number | null;
  /** The leaver's / crashed member's partitions: until someone else read them. */
  medianSubjectPartitionsPauseMs: number;
  medianBaselineMaxMs: number;
  medianUntouchedMembers: number;
  stopTheWorldRounds: number;
  medianDuplicates: number;
  maxDuplicates: number;
  medianDuplicatesOnKeptPartitions: number;
  medianSettleMs: number;
  allComplete: boolean;
}
const medianOf = (xs: (number | null)[]): number | null => {
  const known = xs.filter((x): x is number => x !== null);
  return known.length ? median(known) : null;
};
const rows: Row[] = [];
for (const event of events) {
  for (const v of picked) {
    const rs = all.filter((r) => r.event === event && r.variant === variantName(v));
    rows.push({
      event,
      variant: variantName(v),
      rounds: rs.length,
      medianMemberPauseMs: medianOf(
        rs.map((r) => {
          const kept = r.remaining.flatMap((m) => (m.pauseMs === null ? [] : [m.pauseMs]));
          return kept.length ? median(kept) : null;
        }),
      ),
      medianGroupMaxPauseMs: median(rs.map((r) => r.groupMaxPauseMs)),
      medianKeptMaxPauseMs: medianOf(rs.map((r) => r.keptMaxPauseMs)),
      medianMovedMaxPauseMs: medianOf(rs.map((r) => r.movedMaxPauseMs)),
      medianSubjectPartitionsPauseMs: median(rs.map((r) => r.subjectPartitionsMaxPauseMs)),
      medianBaselineMaxMs: median(rs.map((r) => r.baselineMaxMs)),
      medianUntouchedMembers: median(
        rs.map((r) => r.remaining.filter((m) => m.assignmentChanges === 0).length),
      ),
      stopTheWorldRounds: rs.filter((r) => r.everyoneRevokedAtOnce).length,
      medianDuplicates: median(rs.map((r) => r.duplicates.total)),
      maxDuplicates: max(rs.map((r) => r.duplicates.total)),
      medianDuplicatesOnKeptPartitions: median(rs.map((r) => r.duplicates.onKeptPartitions)),
      medianSettleMs: median(rs.map((r) => r.settleMs)),
      allComplete: rs.every((r) => r.complete && r.unique === r.produced),
    });
  }
}
printTable(
  rows.map((r) => ({
    'event, variant': `${r.event} ${r.variant}`,
    'member pause ms': r.medianMemberPauseMs,
    'kept max ms': r.medianKeptMaxPauseMs,
    'moved max ms': r.medianMovedMaxPauseMs,
    'leaver ms': r.medianSubjectPartitionsPauseMs,
    'baseline ms': r.medianBaselineMaxMs,
    untouched: r.medianUntouchedMembers,
    'stop-world': `${r.stopTheWorldRounds}/${r.rounds}`,
    dups: r.medianDuplicates,
  })),
);

const loadAtEnd = loadavg()[0] as number;
/** The flags that re-run this: rounds and events always, the other knobs when changed. */
function rerunFlags(): string[] {
  const flags = ['--rounds', String(rounds), '--events', events.join(',')];
  if (picked.length !== variants.length)
    flags.push('--variants', picked.map(variantName).join(','));
  const knobs: [string, number, number][] = [
    ['--rate', setup.ratePerPartition, defaultRoundOptions.ratePerPartition],
    ['--baseline-ms', setup.baselineMs, defaultRoundOptions.baselineMs],
    ['--session-ms', setup.sessionTimeoutMs, defaultRoundOptions.sessionTimeoutMs],
    ['--commit-ms', setup.commitIntervalMs, defaultRoundOptions.commitIntervalMs],
  ];
  for (const [flag, value, fallback] of knobs)
    if (value !== fallback) flags.push(flag, String(value));
  return flags;
}
await writeResults(
  'rebalance-protocols',
  {
    brokers: brokers.join(','),
    setup: {
      ...setup,
      commits:
        `kafkajs: eachMessage with autoCommit, which commits after every fetched batch (runner.js ` +
        `autoCommitOffsets; autoCommitInterval ${setup.commitIntervalMs} ms only adds commits); ` +
        `@platformatic/kafka: autocommit every ${setup.commitIntervalMs} ms of delivered offsets`,
      classicAssignors: 'kafkajs RoundRobin (eager); @platformatic/kafka roundrobin (eager)',
      consumerProtocol:
        'server-side uniform assignor; broker defaults group.consumer.heartbeat.interval.ms 5000, group.consumer.session.timeout.ms 45000',
      pause:
        'longest produce-to-first-delivery wait of a message pending between the event and the settle time',
    },
    rows,
    rounds: all,
  },
  renderLineChart({
    title: 'Rebalance cost per round: classic vs consumer protocol (3 members, 6 partitions)',
    xLabel: 'round',
    panels: events.flatMap((event) => [
      {
        title: `${event}: longest wait of a message on partitions that kept their owner`,
        yLabel: 'ms',
        series: picked.map((v) => ({
          name: variantName(v),
          points: all
            .filter((r) => r.event === event && r.variant === variantName(v))
            .flatMap((r, i) =>
              r.keptMaxPauseMs === null ? [] : [[i + 1, r.keptMaxPauseMs] as [number, number]],
            ),
        })),
      },
    ]),
  }),
  {
    script: 'bench:rebalance',
    argv: rerunFlags(),
    write: args.write,
    machineExtra: {
      loadAvg1mAtStart: Number(loadAtStart.toFixed(2)),
      loadAvg1mAtEnd: Number(loadAtEnd.toFixed(2)),
    },
  },
);

const row = (event: RebalanceEvent, variant: string) =>
  rows.find((r) => r.event === event && r.variant === variant);
console.log('\nhypothesis: a classic (eager) rebalance stops every member; the consumer protocol');
console.log('  (KIP-848) moves only the partitions that change owner, so the others keep flowing.');
console.log('what moved:');
for (const event of events) {
  for (const v of picked) {
    const r = row(event, variantName(v));
    if (!r) continue;
    console.log(
      `  ${event.padEnd(5)} ${r.variant.padEnd(21)} remaining member pause ${String(r.medianMemberPauseMs).padStart(5)} ms, ` +
        `kept max ${String(r.medianKeptMaxPauseMs).padStart(5)} ms, moved max ${String(r.medianMovedMaxPauseMs).padStart(5)} ms, ` +
        `leaver's ${r.medianSubjectPartitionsPauseMs} ms (baseline ${r.medianBaselineMaxMs}), ` +
        `untouched ${r.medianUntouchedMembers}, stop-the-world ${r.stopTheWorldRounds}/${r.rounds}, dups ${r.medianDuplicates}`,
    );
  }
}
console.log('the fix: on Kafka ≥ 4.0 use a client that speaks the consumer protocol');
console.log(
  "  (@platformatic/kafka groupProtocol: 'consumer'); members whose partitions do not move",
);
console.log('  are not paused. Keep consumers idempotent: moved partitions are still redelivered');
console.log(
  '  from the last commit. With kafkajs (classic only), keep heartbeats short so pauses are short.',
);
console.log(`1-min load: ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at the end`);
