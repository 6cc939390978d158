/**
 * A consumer that dies: processes deliveries one at a time, reports each processed order id
 * to the parent over IPC (the "side effect"), and SIGKILLs itself right after processing the
 * `CRASH_AFTER`th one, before acking it (RabbitMQ) or resolving its offset (Kafka). Forked by
 * runConsumerCrash(); never run by hand.
 */
import { env, parseConfig } from '@pocs/shared/config';
import { z } from 'zod';
import { loadCompareConfig } from './config.ts';
import { openKafkaLane } from './kafka-lane.ts';
import type { Delivery, Lane } from './lane.ts';
import { openRabbitLane } from './rabbit-lane.ts';

const crash = parseConfig(
  z.object({
    CRASH_BROKER: z.enum(['kafka', 'rabbitmq']),
    CRASH_TARGET: z.string().min(1),
    CRASH_GROUP: env.string('unused'),
    CRASH_PARTITIONS: env.int(1, 1),
    CRASH_AFTER: env.int(1, 1),
    CRASH_PREFETCH: env.int(100, 1),
    CRASH_SESSION_TIMEOUT_MS: env.int(6_000, 1),
  }),
);
const config = loadCompareConfig();

const report = (id: number) =>
  new Promise<void>((resolve, reject) =>
    process.send?.({ id }, (err: Error | null) => (err ? reject(err) : resolve())),
  );

let processed = 0;
const handle = async (d: Delivery) => {
  await report(d.event.id);
  processed++;
  if (processed === crash.CRASH_AFTER) process.kill(process.pid, 'SIGKILL');
};

const lane: Lane =
  crash.CRASH_BROKER === 'kafka'
    ? await openKafkaLane({
        brokers: config.KAFKA_BROKERS,
        topic: crash.CRASH_TARGET,
        partitions: crash.CRASH_PARTITIONS,
        clientId: 'poc-46-crash-consumer',
      })
    : await openRabbitLane({
        url: config.RABBITMQ_URL,
        queue: crash.CRASH_TARGET,
        prefetch: crash.CRASH_PREFETCH,
      });
await lane.consume(1, handle, {
  groupId: crash.CRASH_GROUP,
  sessionTimeoutMs: crash.CRASH_SESSION_TIMEOUT_MS,
});
process.send?.({ ready: true });
