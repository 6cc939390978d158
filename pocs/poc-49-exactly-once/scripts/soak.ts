import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka } from '@pocs/kafka';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { writeResult } from '@pocs/shared/results';
import { localKafkaVersion } from '@pocs/shared/service-versions';
import { printTable } from '@pocs/shared/table';
import { loadConfig } from '../src/config.ts';
import { isThreeBrokerCluster } from '../src/experiments/broker-chaos.ts';
import { runCopyExperiment } from '../src/experiments/copy.ts';
import { clientRetry } from '../src/kafka.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-49 soak [options]
  --runs         transactional broker-crash runs (default 10; about 45 s each)
  --port         port of the copier child process (default 3549)
  results: broker-crash-soak.json`,
  {
    runs: { type: 'string', default: '10' },
    port: { type: 'string', default: '3549' },
  },
);
const runs = intFlag('runs', args.runs);
const port = intFlag('port', args.port);
const brokers = loadConfig().KAFKA_BROKERS;

const admin = createKafka({ brokers, clientId: 'poc49-soak', retry: clientRetry }).admin();
await admin.connect();
const cluster = await isThreeBrokerCluster(admin);
await admin.disconnect();
if (!cluster) {
  console.error('soak needs the 3-broker cluster: pnpm services up kafka-cluster');
  process.exit(2);
}

console.log(
  `Hypothesis: ${runs} runs of 10,000 records under 3 copier SIGKILLs and a broker crash are all exact and all copy while the broker is down.\n`,
);
const rows = [];
for (let i = 1; i <= runs; i++) {
  const r = await runCopyExperiment({
    mode: 'transactional',
    brokers,
    port,
    messages: 10_000,
    partitions: 3,
    copierKills: 3,
    brokerKill: true,
    txMaxMessages: 500,
    timeoutMs: 180_000,
    log: (line) => console.log(`  [run ${i}] ${line}`),
  });
  const row = {
    run: i,
    exact: r.output.duplicates === 0 && r.output.missing === 0 && r.output.exactPartitions === 3,
    duplicates: r.output.duplicates,
    missing: r.output.missing,
    copierFailures: r.copierFailures,
    copierStalls: r.copierStalls,
    sentWhileDown: r.brokerKill?.sentWhileDown ?? 0,
    brokerDownMs: r.brokerKill?.downMs ?? 0,
    copyMs: r.copyMs,
  };
  rows.push(row);
  console.log(`run ${i}/${runs}: ${JSON.stringify(row)}`);
}

const totals = {
  runs,
  exact: rows.filter((r) => r.exact).length,
  copiedWhileDown: rows.filter((r) => r.sentWhileDown > 0).length,
  runsWithFailures: rows.filter((r) => r.copierFailures > 0).length,
  runsWithStalls: rows.filter((r) => r.copierStalls > 0).length,
  copierStalls: rows.reduce((n, r) => n + r.copierStalls, 0),
};
console.log('\nWhat moved:');
printTable(rows);
console.log(JSON.stringify(totals));
await writeResult({
  pocDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  poc: 'poc-49',
  bench: 'broker-crash-soak',
  script: 'soak',
  argv: ['--runs', String(runs), ...(args.write ? ['--write'] : [])],
  write: args.write,
  services: { kafka: localKafkaVersion() },
  data: { totals, runs: rows },
});
const held = totals.exact === runs && totals.copiedWhileDown === runs;
console.log(held ? 'Steady state held in every run.' : 'Steady state did NOT hold: see the rows.');
process.exitCode = held ? 0 : 1;
