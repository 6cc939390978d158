/**
 * kafkajs duplicates on retry: just after a topic is created on a cluster, a broker that
 * has not seen it yet answers UNKNOWN_TOPIC_OR_PARTITION. kafkajs then retries the whole
 * send(), including the partitions other brokers had already written, so those land twice,
 * even with idempotent: true. One send per partition retries only what failed.
 *
 *   pnpm --filter poc-50 retry-duplicates [-- --trials 6]
 */

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, uniqueName } from '@pocs/kafka';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { serviceDefaults } from '@pocs/shared/config';
import { writeResult } from '@pocs/shared/results';
import { localKafkaVersion } from '@pocs/shared/service-versions';
import { printTable } from '@pocs/shared/table';
import { createTopic, deleteTopics } from '../src/kafka.ts';

const pocDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseResultsCli(
  `usage: pnpm --filter poc-50 retry-duplicates [-- options]
  --trials N     fresh topics per mode (default 6)
  --messages N   messages per trial, spread over 6 partitions (default 600)
  --brokers LIST bootstrap brokers (default $KAFKA_BROKERS or ${serviceDefaults.KAFKA_BROKERS})
  --out DIR      where retry-duplicates.json goes (default: see --write)`,
  {
    trials: { type: 'string', default: '6' },
    messages: { type: 'string', default: '600' },
    brokers: {
      type: 'string',
      default: process.env.KAFKA_BROKERS || serviceDefaults.KAFKA_BROKERS,
    },
    out: { type: 'string' },
  },
);
const trials = intFlag('trials', args.trials);
const total = intFlag('messages', args.messages);
const partitions = 6;
const kafka = createKafka({ brokers: args.brokers, clientId: 'poc50-retry-duplicates' });
const admin = kafka.admin();
await admin.connect();
const cluster = await admin.describeCluster();

const modes = {
  'one send, all partitions': async (send: (p: number[]) => Promise<void>) =>
    send([...Array(partitions).keys()]),
  'one send per partition': async (send: (p: number[]) => Promise<void>) => {
    for (let p = 0; p < partitions; p++) await send([p]);
  },
};
const rows: { mode: string; trial: number; sent: number; stored: number; duplicates: number }[] =
  [];
try {
  for (let trial = 1; trial <= trials; trial++) {
    for (const [mode, run] of Object.entries(modes)) {
      const topic = uniqueName('poc50-retry-dup');
      await createTopic(admin, topic, partitions); // leaders and full ISRs, as everywhere here
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        await run(async (ps) => {
          const messages = [];
          for (let i = 0; i < total; i++)
            if (ps.includes(i % partitions))
              messages.push({ partition: i % partitions, value: `m${i}` });
          await producer.send({ topic, messages });
        });
        const ends = await admin.fetchTopicOffsets(topic);
        const stored = ends.reduce((sum, e) => sum + Number(e.high), 0);
        rows.push({ mode, trial, sent: total, stored, duplicates: stored - total });
        console.log(`trial ${trial}  ${mode.padEnd(26)} sent ${total}, stored ${stored}`);
      } finally {
        await producer.disconnect();
        await deleteTopics(admin, [topic]);
      }
    }
  }
} finally {
  await admin.disconnect();
}
const summary = Object.keys(modes).map((mode) => {
  const r = rows.filter((x) => x.mode === mode);
  return {
    mode,
    trials: r.length,
    trialsWithDuplicates: r.filter((x) => x.duplicates > 0).length,
    duplicates: r.reduce((s, x) => s + x.duplicates, 0),
  };
});
printTable(summary);
await writeResult({
  pocDir,
  poc: 'poc-50',
  bench: 'retry-duplicates',
  script: 'retry-duplicates',
  write: args.write,
  outDir: args.out,
  services: { kafka: localKafkaVersion() },
  data: {
    brokers: cluster.brokers.length,
    producer: 'kafkajs 2.2.4, idempotent: true, maxInFlightRequests: 1, right after createTopic',
    summary,
    rows,
  },
});
