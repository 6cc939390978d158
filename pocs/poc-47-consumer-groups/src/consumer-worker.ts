/**
 * One group member in its own process, so that "kill a consumer" is a real SIGKILL: no
 * LeaveGroup, no last commit. Started by the supervisor (src/supervisor.ts), which reads
 * its events over IPC. SIGTERM = graceful: finish the current message, commit, leave.
 */
import { createKafka } from '@pocs/kafka';
import { createLogger } from '@pocs/shared/log';
import { loadConfig } from './config.ts';
import { runConsumer } from './consumer-loop.ts';
import { createDedupStore } from './dedup.ts';
import { clientSettings } from './kafka.ts';
import type { WorkerEvent } from './worker-protocol.ts';

const config = loadConfig();
const workerId = process.env.WORKER_ID ?? String(process.pid);
const logger = createLogger({ name: `poc-47-consumer-${workerId}`, level: config.LOG_LEVEL });
const send = (event: WorkerEvent) => {
  if (process.connected) process.send?.(event);
};

const dedup = createDedupStore(config.REDIS_URL, config.REDIS_KEY_PREFIX, logger);
await dedup.connect();
const kafka = createKafka({
  brokers: config.KAFKA_BROKERS,
  clientId: `poc47-consumer-${workerId}`,
  logger,
  ...clientSettings,
});
const consumer = kafka.consumer({
  groupId: config.GROUP_ID,
  sessionTimeout: config.SESSION_TIMEOUT_MS,
  heartbeatInterval: config.HEARTBEAT_INTERVAL_MS,
  rebalanceTimeout: config.REBALANCE_TIMEOUT_MS,
  maxBytesPerPartition: config.MAX_BYTES_PER_PARTITION,
  // A short fetch wait keeps an idle member's loop (and its heartbeats) turning.
  maxWaitTimeInMs: 500,
});

let uncommitted = 0;
consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
  send({
    type: 'joined',
    memberId: payload.memberId,
    partitions: [...(payload.memberAssignment[config.TOPIC] ?? [])].sort((a, b) => a - b),
    durationMs: payload.duration,
  }),
);
consumer.on(consumer.events.REBALANCING, () => send({ type: 'rebalancing' }));
consumer.on(consumer.events.COMMIT_OFFSETS, () => {
  uncommitted = 0;
  send({ type: 'committed' });
});
consumer.on(consumer.events.CRASH, ({ payload }) =>
  send({ type: 'crash', error: payload.error.message, restart: payload.restart }),
);

await consumer.connect();
await consumer.subscribe({ topic: config.TOPIC, fromBeginning: true });
await runConsumer(consumer, config, {
  dedup,
  consumerId: workerId,
  onProcessed: (outcome, partition) => {
    uncommitted++;
    send({ type: 'processed', outcome, partition, uncommitted });
  },
});
send({ type: 'running' });
if (config.BREAK_BLOCKING_BATCH) {
  logger.warn(
    { sessionTimeoutMs: config.SESSION_TIMEOUT_MS },
    'BREAK_BLOCKING_BATCH: no heartbeat and no commit until a whole batch is done',
  );
}

let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  // A member stuck in a blocking batch can't leave promptly; never outlive this deadline.
  setTimeout(() => process.exit(code), 15_000).unref();
  // disconnect() stops the loop, commits what was resolved and sends LeaveGroup, so the
  // group rebalances now instead of after session.timeout.
  await consumer.disconnect().catch((err) => logger.warn({ err }, 'disconnect failed'));
  await dedup.close();
  process.exit(code);
}
process.once('SIGTERM', () => void shutdown(0));
process.once('SIGINT', () => void shutdown(0));
// The supervisor is gone: don't linger as an orphan member.
process.once('disconnect', () => void shutdown(1));
