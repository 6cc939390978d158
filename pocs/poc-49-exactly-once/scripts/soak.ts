/**
 * Soak the broker-crash experiment: the transactional run of `break` (3 copier SIGKILLs and
 * a broker crash) repeated N times, counting how often a copier failed or stalled and was
 * restarted, and whether every run still came out exact.
 *
 *   pnpm --filter poc-49 soak [--runs 10]
 *
 * Steady state (the hypothesis): every run is exact (0 duplicates, 0 missing, order kept)
 * and copies records while the broker is down (sentWhileDown > 0), whatever the copiers do.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intFlag, parseCli } from '@pocs/shared/cli';
import { silentLogger } from '@pocs/shared/log';
import { printTable } from '@pocs/shared/table';
import { loadConfig } from '../src/config.ts';
import { createKafka } from '../src/kafka.ts';
import { isThreeBrokerCluster } from './broker-chaos.ts';
import { runCopyExperiment } from './experiment.ts';

const args = parseCli(
  `usage: pnpm --filter poc-49 soak [options]
  --runs         transactional broker-crash runs (default 10; about 45 s each)
  --port         port of the copier child process (default 3549)
  --no-write     do not write results/broker-crash-soak.json`,
  {
    runs: { type: 'string', default: '10' },
    port: { type: 'string', default: '3549' },
    'no-write': { type: 'boolean', default: false },
  },
);
const runs = intFlag('runs', args.runs);
const port = intFlag('port', args.port);
const brokers = loadConfig().KAFKA_BROKERS;

const admin = createKafka({ brokers, clientId: 'poc49-soak', logger: silentLogger }).admin();
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
if (!args['no-write']) {
  const out = join(
    dirname(fileURLToPath(import.meta.url)),
    '..',
    'results',
    'broker-crash-soak.json',
  );
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify({ poc: 'poc-49', command: `pnpm --filter poc-49 soak --runs ${runs}`, recordedAt: new Date().toISOString(), totals, runs: rows }, null, 2)}\n`,
  );
  console.log(`wrote ${out}`);
}
const held = totals.exact === runs && totals.copiedWhileDown === runs;
console.log(held ? 'Steady state held in every run.' : 'Steady state did NOT hold: see the rows.');
process.exitCode = held ? 0 : 1;
