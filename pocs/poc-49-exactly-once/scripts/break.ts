/**
 * Break it: copy 10,000 messages while SIGKILLing the copier 3 times (and crashing one
 * broker of the 3-broker cluster), first as plain at-least-once, then with transactions.
 *
 *   pnpm --filter poc-49 break [--messages 10000 --kills 3 --broker-kill 1 --tx-messages 500]
 *
 * Steady state (the hypothesis): with a transactional copier (output records and input
 * offsets committed in one transaction, read_committed readers), the output equals the
 * input — 10,000 records, 0 duplicates, 0 missing, order kept in every partition — whatever
 * is killed. The at-least-once copier (produce, then commit offsets every 5 s) under the
 * same kills writes duplicates > 0: everything since its last offset commit is copied again.
 */

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { writeResult } from '@pocs/shared/results';
import { localKafkaVersion } from '@pocs/shared/service-versions';
import { printTable } from '@pocs/shared/table';
import { loadConfig } from '../src/config.ts';
import { type CopyRunResult, runCopyExperiment } from '../src/experiments/copy.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-49 break [options]
  --messages     messages seeded into the input topic (default 10000; env BREAK_MESSAGES)
  --partitions   partitions of input and output (default 3)
  --kills        SIGKILLs of the copier per run (default 3)
  --broker-kill  1 = also crash one broker mid-run when the cluster has 3 (default 1)
  --tx-messages  messages per transaction (default 500)
  --port         port of the copier child process (default 3549)
  results: break.json`,
  {
    messages: { type: 'string', default: process.env.BREAK_MESSAGES ?? '10000' },
    partitions: { type: 'string', default: '3' },
    kills: { type: 'string', default: '3' },
    'broker-kill': { type: 'string', default: '1' },
    'tx-messages': { type: 'string', default: '500' },
    port: { type: 'string', default: '3549' },
  },
);
const brokerKillFlag = args['broker-kill'];
if (brokerKillFlag !== '0' && brokerKillFlag !== '1') {
  console.error(`--broker-kill must be 0 or 1, got "${brokerKillFlag}"`);
  process.exit(2);
}
const common = {
  brokers: loadConfig().KAFKA_BROKERS,
  port: intFlag('port', args.port),
  messages: intFlag('messages', args.messages),
  partitions: intFlag('partitions', args.partitions),
  copierKills: intFlag('kills', args.kills, 0),
  brokerKill: brokerKillFlag === '1',
  txMaxMessages: intFlag('tx-messages', args['tx-messages']),
  timeoutMs: 180_000,
  log: (line: string) => console.log(`  ${line}`),
};

console.log(
  `Hypothesis: with transactions, ${common.messages} messages copied under ${common.copierKills} copier SIGKILLs` +
    `${common.brokerKill ? ' and a broker crash' : ''} arrive exactly once (0 duplicates, 0 missing, order kept per partition); ` +
    'plain at-least-once under the same kills duplicates > 0.\n',
);

const row = (r: CopyRunResult) => ({
  injected: `${r.copierKills} copier SIGKILLs${r.brokerKill ? `, broker ${r.brokerKill.nodeId} crashed ${(r.brokerKill.downMs / 1000).toFixed(1)} s` : ''}`,
  'uncommitted at kills': r.uncommittedAtKill.join(' / '),
  'output records': r.output.records,
  duplicates: r.output.duplicates,
  missing: r.output.missing,
  'order breaks': r.output.orderViolations,
  'concurrent read_committed dups': r.concurrentReader.duplicates,
  'aborted records in log': r.readUncommitted.records - r.output.records,
  'unplanned restarts': `${r.copierFailures} failed, ${r.copierStalls} stalled`,
  'copy s': (r.copyMs / 1000).toFixed(1),
});

console.log('▶ at-least-once: produce, then commit offsets every 5 s (Kafka auto-commit default)');
// The broker crash is reserved for the transactional run: here it would only add time.
const broken = await runCopyExperiment({ ...common, mode: 'at-least-once', brokerKill: false });
console.log(
  '▶ transactional: output records + input offsets in one transaction per ≤ 500 messages',
);
const fixed = await runCopyExperiment({ ...common, mode: 'transactional' });

console.log('\nWhat moved:');
printTable({ 'at-least-once': row(broken), transactional: row(fixed) });
const held =
  fixed.output.duplicates === 0 &&
  fixed.output.missing === 0 &&
  fixed.output.exactPartitions === fixed.partitions &&
  fixed.concurrentReader.duplicates === 0;
console.log(
  held
    ? `Steady state held with transactions: ${fixed.output.records} records, 0 duplicates, every partition in order. At-least-once: ${broken.output.duplicates} duplicates.`
    : 'Steady state did NOT hold with transactions: look at the transactional row.',
);
console.log(
  `The fix: a transactional copier (output records + input offsets in one transaction per ≤ ${common.txMaxMessages} messages, ` +
    `read_committed readers): duplicates ${broken.output.duplicates} → ${fixed.output.duplicates}, ` +
    `missing ${broken.output.missing} → ${fixed.output.missing}, order breaks ${broken.output.orderViolations} → ${fixed.output.orderViolations}, ` +
    `duplicates seen by a concurrent reader ${broken.concurrentReader.duplicates} → ${fixed.concurrentReader.duplicates}; ` +
    `copy took ${(broken.copyMs / 1000).toFixed(1)} → ${(fixed.copyMs / 1000).toFixed(1)} s.`,
);
await writeResult({
  pocDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  poc: 'poc-49',
  bench: 'break',
  script: 'break',
  write: args.write,
  services: { kafka: localKafkaVersion() },
  data: { runs: { 'at-least-once': broken, transactional: fixed } },
});
console.log(
  'Cleaned up: copiers stopped, run topics and consumer groups deleted, broker restored.',
);
process.exitCode = held ? 0 : 1;
