/**
 * Break it: a producer outpacing a slow consumer. Lag (read from this POC's exporter)
 * grows every second; then the fix drains it while the producer keeps going.
 *
 * Hypothesis (steady state): consumer lag stays under one second of traffic
 * (RATE messages; 1000 by default).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { serviceDefaults } from '@pocs/shared/config';
import { writeResult } from '@pocs/shared/results';
import { localKafkaVersion } from '@pocs/shared/service-versions';
import { runBreak } from '../src/experiments/break-run.ts';

const pocDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const args = parseResultsCli(
  `usage: pnpm --filter poc-50 break [-- options]
  Hypothesis: consumer lag stays under one second of traffic (--rate messages).
  --rate N             producer messages per second (default $BREAK_RATE or 1000)
  --call-ms N          cost of one downstream call; the slow consumer makes one per message (default 2)
  --broken-seconds N   how long the slow consumer runs (default 10)
  --fixed-seconds N    how long the fixed consumer runs before the producer stops (default 10)
  --fixed-batch N      the fix: messages per downstream call (default 100)
  --fixed-concurrency N  the fix: partitionsConsumedConcurrently (default 6 = all partitions)
  --partitions N       partitions of the experiment's topic (default 6)
  --port N             port for the lag exporter it starts (default 3550)
  --brokers LIST       bootstrap brokers (default $KAFKA_BROKERS or ${serviceDefaults.KAFKA_BROKERS})
  --out DIR            where break.json and break-lag.svg go (default: see --write)`,
  {
    rate: { type: 'string', default: env.BREAK_RATE ?? '1000' },
    'call-ms': { type: 'string', default: '2' },
    'broken-seconds': { type: 'string', default: '10' },
    'fixed-seconds': { type: 'string', default: '10' },
    'fixed-batch': { type: 'string', default: '100' },
    'fixed-concurrency': { type: 'string', default: '6' },
    partitions: { type: 'string', default: '6' },
    port: { type: 'string', default: '3550' },
    brokers: { type: 'string', default: env.KAFKA_BROKERS || serviceDefaults.KAFKA_BROKERS },
    out: { type: 'string' },
  },
);

const ratePerSec = intFlag('rate', args.rate);
console.log(
  `Hypothesis: consumer lag stays under ${ratePerSec} messages (one second of traffic at ${ratePerSec} msg/s).`,
);
const result = await runBreak({
  brokers: args.brokers,
  ratePerSec,
  callMs: intFlag('call-ms', args['call-ms']),
  brokenSeconds: intFlag('broken-seconds', args['broken-seconds']),
  fixedSeconds: intFlag('fixed-seconds', args['fixed-seconds']),
  fixedBatch: intFlag('fixed-batch', args['fixed-batch']),
  fixedConcurrency: intFlag('fixed-concurrency', args['fixed-concurrency']),
  partitions: intFlag('partitions', args.partitions),
  exporterPort: intFlag('port', args.port),
  log: (line) => console.log(line),
});

const { broken, fixed, final } = result;
console.log(`
Injected: a consumer making one ${result.options.callMs} ms call per message, one partition at a time.
Moved:    lag ${broken.lagAtStart} → ${broken.lagAtEnd} messages in ${result.options.brokenSeconds} s (+${broken.growthPerSec}/s): hypothesis ${broken.lagAtEnd > result.lagBudgetMessages ? 'REFUTED' : 'held'}.
Fix:      ${result.options.fixedBatch} messages per call, ${result.options.fixedConcurrency} partitions at once: lag ${fixed.lagAtStart} → under ${result.lagBudgetMessages} after ${fixed.secondsToBudget ?? 'n/a'} s, 0 after the producer stopped.
Final:    produced ${final.produced}, consumed ${final.consumedDistinct} distinct, lag ${final.lagMessages} (exporter). Topic, group and exporter cleaned up.`);

const fixAt = result.samples.find((s) => s.phase !== 'broken')?.seconds;
const chart = renderLineChart({
  title: `Consumer lag from the exporter: slow consumer, then the fix (${ratePerSec} msg/s in)`,
  xLabel: 'seconds',
  panels: [
    {
      title: 'kafka_consumergroup_lag_sum_messages',
      yLabel: 'messages',
      series: [{ name: 'lag', points: result.samples.map((s) => [s.seconds, s.lagMessages]) }],
      markers: fixAt === undefined ? [] : [{ x: fixAt, label: 'fix deployed' }],
    },
  ],
});
await writeResult({
  pocDir,
  poc: 'poc-50',
  bench: 'break',
  script: 'break',
  write: args.write,
  outDir: args.out,
  services: { kafka: localKafkaVersion() },
  data: { ...result },
  files: { 'break-lag.svg': chart },
});
