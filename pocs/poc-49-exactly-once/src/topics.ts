import { randomBytes } from 'node:crypto';
import type { Admin, Kafka, Message } from 'kafkajs';
import { Partitions } from './partitions.ts';
import { encodeRecord, seedLayout } from './records.ts';

/** A short unique suffix so runs never see each other's topics or groups. */
export const runId = (): string => `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/**
 * Create topics with the broker's default replication factor (1 on the single broker, 3 on
 * the cluster) and wait until they take writes on every broker.
 */
export { createTopicsReady as createTopics } from '@pocs/kafka';

/** Best effort: the run already has its numbers; a leftover topic is not a failure. */
export async function deleteRunArtifacts(
  admin: Admin,
  { topics = [], groups = [] }: { topics?: string[]; groups?: string[] },
): Promise<void> {
  if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
}

/**
 * Write `messages` sequence records round-robin over the partitions (message i → partition
 * i % n, seq ⌊i / n⌋) with an idempotent producer and acks=all. `firstIndex` continues an
 * earlier seed. Returns the count per partition of everything seeded so far.
 */
export async function seedInput(
  kafka: Kafka,
  {
    topic,
    messages,
    partitions,
    firstIndex = 0,
  }: { topic: string; messages: number; partitions: number; firstIndex?: number },
): Promise<number[]> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const last = firstIndex + messages;
  await producer.connect();
  try {
    const chunk = 2_000;
    for (let start = firstIndex; start < last; start += chunk) {
      const end = Math.min(last, start + chunk);
      const perPartition = Array.from({ length: partitions }, () => [] as Message[]);
      for (let i = start; i < end; i++) {
        const record = { p: i % partitions, seq: Math.floor(i / partitions) };
        perPartition[record.p]!.push({
          partition: record.p,
          key: `${record.p}`,
          value: encodeRecord(record),
        });
      }
      // One send per partition: a kafkajs send spanning several leaders can resolve without
      // writing the partition of a leader that died mid-send (tulios/kafkajs#1798), and the
      // break kills a broker while seeding. In turn: one idempotent producer, no races.
      for (const batch of perPartition) {
        if (batch.length > 0) await producer.send({ topic, acks: -1, messages: batch });
      }
    }
  } finally {
    await producer.disconnect();
  }
  return seedLayout(last, partitions);
}

/**
 * End offsets per partition as a read_committed client sees them: the last stable offset
 * (LSO). kafkajs' admin asks ListOffsets with isolation READ_COMMITTED, so while a
 * transaction is open this stops at its first record; once none is open it equals the
 * high watermark.
 */
export async function lastStableOffsets(admin: Admin, topic: string): Promise<Partitions> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Partitions(offsets.map((o) => [o.partition, Number(o.high)]));
}

/** Offsets the group has committed for `topic` (−1 where nothing is committed yet → 0). */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Partitions> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Partitions(
    (entry?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]),
  );
}
