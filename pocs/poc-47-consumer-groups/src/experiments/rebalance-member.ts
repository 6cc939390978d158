/**
 * One group member of the rebalance-protocols experiment, in its own process so that a
 * crash is a real SIGKILL. It consumes with the client and group protocol it is told to,
 * does no work per message, and reports to its parent over IPC:
 * - every delivery as [partition, offset, receivedAtMs, producedAtMs], sent as it happens;
 * - its assignment each time it changes (polled every 20 ms from the client, plus the
 *   client's own group events), so the parent knows who owned what when.
 * SIGTERM = clean leave: close the consumer (commit, LeaveGroup), exit 0.
 */
import { Consumer as PlatformaticConsumer } from '@platformatic/kafka';
import { createKafka } from '@pocs/kafka';
import { createLogger } from '@pocs/shared/log';
import { logLevel } from 'kafkajs';
import { clientSettings } from '../kafka.ts';
import { type MemberEvent, memberSettingsFromEnv } from './rebalance-member-protocol.ts';

const s = memberSettingsFromEnv(process.env);
const logger = createLogger({ name: `poc-47-rebalance-${s.memberId}`, level: s.logLevel });
const send = (event: MemberEvent) => {
  if (process.connected) process.send?.(event);
};

// Each delivery is reported at once (no batching): a SIGKILLed member must not take
// deliveries it already made (and maybe committed) to its grave unreported.
const deliver = (partition: number, offset: number, producedAtMs: number) => {
  send({ type: 'deliveries', items: [[partition, offset, Date.now(), producedAtMs]] });
};

let lastAssignment = '';
const reportAssignment = (partitions: number[]) => {
  const sorted = [...partitions].sort((a, b) => a - b);
  const key = sorted.join(',');
  if (key === lastAssignment) return;
  lastAssignment = key;
  send({ type: 'assigned', partitions: sorted, at: Date.now() });
};

let close: () => Promise<void> = async () => {};
let stopping = false;
process.once('SIGTERM', () => void shutdown(0));
process.once('SIGINT', () => void shutdown(0));
process.once('disconnect', () => void shutdown(1));

// A standby member is started ahead of time (so its start-up cost is not part of the
// event) and joins the group only when the parent says so.
send({ type: 'started', at: Date.now() });
if (s.standby) {
  await new Promise<void>((resolve) => {
    process.on('message', (m) => {
      if ((m as { type?: unknown })?.type === 'join') resolve();
    });
  });
}

if (s.client === 'kafkajs') {
  // WARN, not the service's INFO: the parent reports every group event this member sees.
  const kafka = createKafka({
    clientId: `poc47-rebalance-${s.memberId}`,
    brokers: s.brokers,
    logger,
    ...clientSettings,
    level: logLevel.WARN,
  });
  const consumer = kafka.consumer({
    groupId: s.groupId,
    sessionTimeout: s.sessionTimeoutMs,
    heartbeatInterval: s.heartbeatIntervalMs,
    rebalanceTimeout: s.sessionTimeoutMs * 2,
    maxWaitTimeInMs: 250,
  });
  // kafkajs is eager: on REBALANCING the member stops, commits and rejoins owning nothing
  // until the next GROUP_JOIN hands it its new share.
  consumer.on(consumer.events.REBALANCING, () => {
    send({ type: 'rebalancing', at: Date.now() });
    reportAssignment([]);
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
    reportAssignment(payload.memberAssignment[s.topic] ?? []),
  );
  consumer.on(consumer.events.CRASH, ({ payload }) =>
    logger.warn({ err: payload.error, restart: payload.restart }, 'kafkajs consumer crashed'),
  );
  await consumer.connect();
  await consumer.subscribe({ topic: s.topic, fromBeginning: true });
  send({ type: 'joining', at: Date.now() });
  await consumer.run({
    autoCommitInterval: s.commitIntervalMs,
    eachMessage: async ({ partition, message }) => {
      deliver(partition, Number(message.offset), Number(message.timestamp));
    },
  });
  close = () => consumer.disconnect();
} else {
  const group =
    s.protocol === 'consumer'
      ? { groupProtocol: 'consumer' as const }
      : {
          groupProtocol: 'classic' as const,
          sessionTimeout: s.sessionTimeoutMs,
          heartbeatInterval: s.heartbeatIntervalMs,
          rebalanceTimeout: s.sessionTimeoutMs * 2,
        };
  const consumer = new PlatformaticConsumer({
    clientId: `poc47-rebalance-${s.memberId}`,
    bootstrapBrokers: s.brokers,
    groupId: s.groupId,
    maxWaitTime: 250,
    ...group,
  });
  consumer.on('consumer:group:rebalance', () => send({ type: 'rebalancing', at: Date.now() }));
  consumer.on('consumer:heartbeat:error', ({ error }) =>
    logger.debug({ err: error }, 'heartbeat error'),
  );
  const current = () =>
    (consumer.assignments ?? []).filter((a) => a.topic === s.topic).flatMap((a) => a.partitions);
  const poll = setInterval(() => reportAssignment(current()), 20);
  consumer.on('consumer:group:join', () => reportAssignment(current()));
  send({ type: 'joining', at: Date.now() });
  const stream = await consumer.consume({
    topics: [s.topic],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: s.commitIntervalMs,
  });
  stream.on('data', (m) => deliver(m.partition, Number(m.offset), Number(m.timestamp)));
  stream.on('error', (err) => logger.warn({ err }, 'messages stream error'));
  close = async () => {
    clearInterval(poll);
    await stream.close();
    await consumer.close();
  };
}
send({ type: 'running', at: Date.now() });

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(code), 15_000).unref();
  await close().catch((err) => logger.warn({ err }, 'close failed'));
  // The last message must reach the parent before the process ends.
  await new Promise<void>((resolve) => {
    if (!process.connected || !process.send) resolve();
    else process.send({ type: 'left', at: Date.now() } satisfies MemberEvent, () => resolve());
  });
  process.exit(code);
}
