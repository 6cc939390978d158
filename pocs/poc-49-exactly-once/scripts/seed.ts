/**
 * Put sequence records into the copier's input topic (created with 3 partitions, and the
 * output topic beside it, if missing), continuing the sequence from what is already there.
 *
 *   pnpm --filter poc-49 seed [--messages 1000]
 */

import { createKafka } from '@pocs/kafka';
import { intFlag, parseCli } from '@pocs/shared/cli';
import { createLogger } from '@pocs/shared/log';
import { loadConfig } from '../src/config.ts';
import { clientRetry } from '../src/kafka.ts';
import { createTopics, lastStableOffsets, seedInput } from '../src/topics.ts';

const args = parseCli(
  `usage: pnpm --filter poc-49 seed [options]
  --messages    records to add to INPUT_TOPIC (default 1000)
  --partitions  partitions when the topics do not exist yet (default 3)`,
  {
    messages: { type: 'string', default: '1000' },
    partitions: { type: 'string', default: '3' },
  },
);
const config = loadConfig();
const kafka = createKafka({
  brokers: config.KAFKA_BROKERS,
  clientId: 'poc49-seed',
  logger: createLogger({ name: 'poc-49-seed', level: 'warn' }),
  retry: clientRetry,
});
const admin = kafka.admin();
await admin.connect();
try {
  const existing = await admin.listTopics();
  const missing = [config.INPUT_TOPIC, config.OUTPUT_TOPIC].filter((t) => !existing.includes(t));
  const partitions = intFlag('partitions', args.partitions);
  if (missing.length > 0) {
    await createTopics(
      admin,
      missing.map((topic) => ({ topic, numPartitions: partitions })),
    );
  }
  const inputPartitions = (await lastStableOffsets(admin, config.INPUT_TOPIC)).size;
  const already = (await lastStableOffsets(admin, config.INPUT_TOPIC)).total();
  const perPartition = await seedInput(kafka, {
    topic: config.INPUT_TOPIC,
    messages: intFlag('messages', args.messages),
    partitions: inputPartitions,
    firstIndex: already,
  });
  console.log(`${config.INPUT_TOPIC} now holds ${perPartition.join(' / ')} records per partition`);
} finally {
  await admin.disconnect();
}
