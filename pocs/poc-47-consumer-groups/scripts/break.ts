/**
 * The break-it experiment: two ways a consumer group loses its partitions.
 *
 *   kill — SIGKILL one of N members mid-work. Hypothesis: its partitions stay assigned
 *          to the dead member for ≈ SESSION_TIMEOUT_MS, then move to the survivors, lag
 *          returns to 0, and its uncommitted work is redelivered (counted, dropped by the sink's dedup).
 *          SIGTERM (commit + LeaveGroup) moves them at once with 0 redeliveries.
 *   slow — each batch takes longer than SESSION_TIMEOUT_MS with no heartbeat
 *          (BREAK_BLOCKING_BATCH). Hypothesis: members are evicted and rejoin again and
 *          again (rebalance storm), lag never drops, redeliveries climb; with a heartbeat
 *          and a commit per message the same load drains with 0 rebalances.
 *
 *   pnpm --filter poc-47 break [--scenario kill|slow|all]
 */

import { intFlag, parseCli } from '@pocs/shared/cli';
import { printTable } from '@pocs/shared/table';
import { runFailover } from '../src/experiments/failover.ts';
import { runSlowConsumer } from '../src/experiments/slow-consumer.ts';

const scenarios = ['kill', 'slow', 'all'] as const;
const args = parseCli(
  `usage: pnpm --filter poc-47 break [options]
  --scenario     kill | slow | all (default all)
  --session-ms   session timeout of every member, ms (default 6000; brokers refuse < 6000)
  --consumers    members in the kill scenario (default 3)
  --partitions   partitions in the kill scenario (default 6)
  --messages     backlog produced in the kill scenario (default 600)
  --slow-ms      CPU per message in the slow scenario, ms (default 100)
  --slow-messages  backlog per partition in the slow scenario (default 80: 8 s batches)
  --observe-s    how long to watch the broken slow consumer (default 30)
env: KAFKA_BROKERS, REDIS_URL (each run uses its own topic, group and key prefix, deleted at the end)`,
  {
    scenario: { type: 'string', default: 'all' },
    'session-ms': { type: 'string', default: '6000' },
    consumers: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '6' },
    messages: { type: 'string', default: '600' },
    'slow-ms': { type: 'string', default: '100' },
    'slow-messages': { type: 'string', default: '80' },
    'observe-s': { type: 'string', default: '30' },
  },
);
const scenario = args.scenario as (typeof scenarios)[number];
if (!scenarios.includes(scenario)) {
  console.error(`--scenario must be one of ${scenarios.join(', ')}, got "${args.scenario}"`);
  process.exit(2);
}
const sessionTimeoutMs = intFlag('session-ms', args['session-ms'], 6_000);
const consumers = intFlag('consumers', args.consumers, 2);
const partitions = intFlag('partitions', args.partitions, consumers);
const messages = intFlag('messages', args.messages, partitions * 20);
const slowMs = intFlag('slow-ms', args['slow-ms']);
const slowMessages = intFlag('slow-messages', args['slow-messages']);
const observeMs = intFlag('observe-s', args['observe-s']) * 1000;
const log = (line: string) => console.log(line);
let held = true;
const fixLines: string[] = [];

if (scenario === 'kill' || scenario === 'all') {
  console.log(
    `\n▶ kill: ${consumers} members, ${partitions} partitions, ${messages} messages, session.timeout ${sessionTimeoutMs} ms.\n` +
      `  Hypothesis: after SIGKILL the dead member keeps its partitions for ≈ ${sessionTimeoutMs / 1000} s, then lag returns to 0,\n` +
      `  redeliveries ≥ the victim's uncommitted messages, and the sink applies all ${messages} exactly once.`,
  );
  const common = {
    consumers,
    partitions,
    messagesPerRound: messages,
    processMs: 10,
    sessionTimeoutMs,
    heartbeatIntervalMs: 1_000,
    commitEveryMessages: 40,
    rounds: 1,
    log,
    watch: true,
  };
  const [killed] = await runFailover({ ...common, signal: 'SIGKILL' });
  console.log('  Same again with SIGTERM (graceful: commit, LeaveGroup):');
  const [graceful] = await runFailover({ ...common, signal: 'SIGTERM' });
  printTable(
    [killed, graceful].map((r) => ({
      signal: r?.signal,
      'uncommitted at stop': r?.uncommittedAtStop,
      'reassigned (s)': ((r?.reassignedMs ?? 0) / 1000).toFixed(1),
      'lag 0 (s)': ((r?.lagZeroMs ?? 0) / 1000).toFixed(1),
      redelivered: r?.redelivered,
      'applied once': r?.unique,
    })),
  );
  const ok =
    killed !== undefined &&
    graceful !== undefined &&
    killed.reassignedMs >= sessionTimeoutMs - 1_000 &&
    killed.redelivered >= killed.uncommittedAtStop &&
    killed.unique === messages &&
    graceful.redelivered === 0 &&
    graceful.unique === messages;
  held &&= ok;
  if (killed && graceful) {
    fixLines.push(
      'stop members with SIGTERM (commit, then LeaveGroup) instead of letting them die: ' +
        `partitions reassigned after ${(killed.reassignedMs / 1000).toFixed(1)} → ${(graceful.reassignedMs / 1000).toFixed(1)} s, ` +
        `redelivered ${killed.redelivered} → ${graceful.redelivered}; the sink's dedup applied ${killed.unique} and ${graceful.unique} of ${messages}.`,
    );
  }
  console.log(ok ? '  Hypothesis held.' : '  Hypothesis did NOT hold: see the table.');
}

if (scenario === 'slow' || scenario === 'all') {
  const batchSec = (slowMessages * slowMs) / 1000;
  const load = {
    consumers: 2,
    partitions: 2,
    messages: slowMessages * 2,
    processMs: slowMs,
    sessionTimeoutMs,
    heartbeatIntervalMs: 1_000,
    observeMs,
    tickMs: 1_000,
  };
  console.log(
    `\n▶ slow: 2 members × 1 partition × ${slowMessages} messages × ${slowMs} ms CPU = ${batchSec} s batches, session.timeout ${sessionTimeoutMs / 1000} s.\n` +
      `  Hypothesis: blocking batches → ≥ 2 rebalances in ${observeMs / 1000} s, lag stuck at ${load.messages}, redeliveries > 0;\n` +
      '  heartbeat + commit per message → 0 rebalances, 0 redeliveries, lag 0.',
  );
  const tick = (t: {
    tSec: number;
    lag: number;
    joins: number;
    unique: number;
    redelivered: number;
  }) =>
    log(
      `    t=${t.tSec.toFixed(1).padStart(5)}s  lag ${String(t.lag).padStart(4)}  rejoins ${String(t.joins).padStart(2)}  ` +
        `applied ${String(t.unique).padStart(4)}  redelivered ${String(t.redelivered).padStart(4)}`,
    );
  console.log('  Injecting BREAK_BLOCKING_BATCH=1:');
  const broken = await runSlowConsumer({ ...load, blocking: true, onTick: tick });
  console.log('  Fixed (heartbeat + commit per message):');
  const fixed = await runSlowConsumer({ ...load, blocking: false, onTick: tick });
  printTable(
    [broken, fixed].map((r) => ({
      mode: r.mode,
      'rejoins after stable': r.joinsAfterStable,
      redelivered: r.redelivered,
      'final lag': r.finalLag,
      'drained (s)': r.drainedSec ?? 'never',
    })),
  );
  const ok =
    broken.joinsAfterStable >= 2 &&
    broken.redelivered > 0 &&
    broken.drainedSec === null &&
    fixed.joinsAfterStable === 0 &&
    fixed.redelivered === 0 &&
    fixed.finalLag === 0;
  held &&= ok;
  fixLines.push(
    'heartbeat() between messages and a commit per message (BREAK_BLOCKING_BATCH unset): ' +
      `rejoins ${broken.joinsAfterStable} → ${fixed.joinsAfterStable}, redelivered ${broken.redelivered} → ${fixed.redelivered}, ` +
      `final lag ${broken.finalLag} → ${fixed.finalLag}, drained ${broken.drainedSec ?? 'never'} → ${fixed.drainedSec ?? 'never'} s.`,
  );
  console.log(ok ? '  Hypothesis held.' : '  Hypothesis did NOT hold: see the table.');
}

console.log('\nThe fix:');
for (const line of fixLines) console.log(`  ${line}`);
console.log(
  '\nCleaned up: consumer processes stopped, run topics and groups deleted, run Redis keys deleted.',
);
process.exitCode = held ? 0 : 1;
