/**
 * Bench: how long a group takes to heal when a member goes away, against session.timeout.
 * 3 members, 6 partitions; per round a 600-message backlog, then the oldest member is
 * stopped mid-work with SIGKILL (crash) or SIGTERM (commit + LeaveGroup). Measured:
 * time until the broker shows every partition owned again, time until lag is 0, and
 * redeliveries. Medians of --rounds rounds per setting.
 *
 *   pnpm --filter poc-47 bench:failover [--rounds 3] [--sessions 6000,10000,15000]
 */

import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { median } from '@pocs/shared/stats';
import { printTable } from '@pocs/shared/table';
import { type FailoverRound, runFailover } from '../src/experiments/failover.ts';
import { writeResults } from './results-io.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-47 bench:failover [options]
  --rounds    rounds per (signal, session timeout) (default 3)
  --sessions  comma-separated session timeouts in ms (default 6000,10000,15000)`,
  {
    rounds: { type: 'string', default: '3' },
    sessions: { type: 'string', default: '6000,10000,15000' },
  },
);
const rounds = intFlag('rounds', args.rounds);
const sessions = (args.sessions ?? '').split(',').map((s) => intFlag('sessions', s, 6_000));
const setup = {
  consumers: 3,
  partitions: 6,
  messagesPerRound: 600,
  processMs: 10,
  heartbeatIntervalMs: 1_000,
  commitEveryMessages: 40,
};

interface Row {
  signal: 'SIGKILL' | 'SIGTERM';
  sessionTimeoutMs: number;
  rounds: number;
  medianReassignedMs: number;
  medianLagZeroMs: number;
  medianRedelivered: number;
  medianUncommittedAtStop: number;
  exactlyOnceApplied: boolean;
}
const rows: Row[] = [];
const all: FailoverRound[] = [];
for (const sessionTimeoutMs of sessions) {
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    console.log(`session.timeout ${sessionTimeoutMs} ms, ${signal}:`);
    const rs = await runFailover({
      ...setup,
      sessionTimeoutMs,
      signal,
      rounds,
      log: (l) => console.log(l),
    });
    all.push(...rs);
    rows.push({
      signal,
      sessionTimeoutMs,
      rounds: rs.length,
      medianReassignedMs: median(rs.map((r) => r.reassignedMs)),
      medianLagZeroMs: median(rs.map((r) => r.lagZeroMs)),
      medianRedelivered: median(rs.map((r) => r.redelivered)),
      medianUncommittedAtStop: median(rs.map((r) => r.uncommittedAtStop)),
      exactlyOnceApplied: rs.every((r) => r.unique === r.produced),
    });
  }
}
printTable(rows);

const series = (signal: string, key: 'medianReassignedMs' | 'medianLagZeroMs', name: string) => ({
  name,
  points: rows
    .filter((r) => r.signal === signal)
    .map((r) => [r.sessionTimeoutMs / 1000, r[key] / 1000] as [number, number]),
});
await writeResults(
  'failover',
  {
    brokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    setup: { ...setup, commitIntervalMs: 'count only', rounds },
    rows,
    rounds: all,
  },
  renderLineChart({
    title: 'Time to heal after a member leaves (3 members, 6 partitions, median)',
    xLabel: 'session.timeout (s)',
    panels: [
      {
        title: 'partitions reassigned / lag back to 0',
        yLabel: 's',
        series: [
          series('SIGKILL', 'medianReassignedMs', 'SIGKILL: reassigned'),
          series('SIGKILL', 'medianLagZeroMs', 'SIGKILL: lag 0'),
          series('SIGTERM', 'medianReassignedMs', 'SIGTERM: reassigned'),
          series('SIGTERM', 'medianLagZeroMs', 'SIGTERM: lag 0'),
          { name: 'y = session.timeout', points: sessions.map((s) => [s / 1000, s / 1000]) },
        ],
      },
      {
        title: 'redelivered messages per stop',
        yLabel: 'messages',
        series: (['SIGKILL', 'SIGTERM'] as const).map((signal) => ({
          name: signal,
          points: rows
            .filter((r) => r.signal === signal)
            .map((r) => [r.sessionTimeoutMs / 1000, r.medianRedelivered] as [number, number]),
        })),
      },
    ],
  }),
  {
    script: 'bench:failover',
    argv: ['--rounds', String(rounds), '--sessions', sessions.join(',')],
    write: args.write,
  },
);
