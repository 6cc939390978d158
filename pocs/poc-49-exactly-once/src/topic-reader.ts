import { waitFor } from '@pocs/shared/wait';
import type { Kafka } from 'kafkajs';
import { Partitions } from './partitions.ts';
import { decodeRecord, type SeqRecord } from './records.ts';

export interface TopicReader {
  /** Records per partition in offset order; an offset read twice (after a restart) counts once. */
  byPartition(): Map<number, SeqRecord[]>;
  /** Next offset to read per partition, control records and aborted data included. */
  positions(): Partitions;
  /** Times the kafkajs consumer crashed (it restarts itself on retriable errors). */
  crashes(): number;
  waitForPositions(end: ReadonlyMap<number, number>, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Read a topic from the beginning, as read_committed (the default) or read_uncommitted,
 * in its own throwaway consumer group. Positions come from kafkajs' END_BATCH_PROCESS
 * event, which also fires for batches that held only transaction markers or aborted
 * records, so "position reached the end offset" is a real end-of-topic condition.
 */
export async function startTopicReader(
  kafka: Kafka,
  {
    topic,
    groupId,
    readUncommitted = false,
  }: { topic: string; groupId: string; readUncommitted?: boolean },
): Promise<TopicReader> {
  const records = new Map<number, Map<number, SeqRecord>>();
  const positions = new Partitions();
  let crashes = 0;
  const consumer = kafka.consumer({
    groupId,
    readUncommitted,
    sessionTimeout: 6_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 250,
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const next = Number(payload.lastOffset) + 1;
    if (next > (positions.get(payload.partition) ?? 0)) positions.set(payload.partition, next);
  });
  consumer.on(consumer.events.CRASH, () => {
    crashes++;
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const partition = records.get(batch.partition) ?? new Map<number, SeqRecord>();
      records.set(batch.partition, partition);
      for (const m of batch.messages) partition.set(Number(m.offset), decodeRecord(m.value));
    },
  });
  return {
    byPartition: () =>
      new Map(
        [...records].map(([p, byOffset]) => [
          p,
          [...byOffset].sort(([a], [b]) => a - b).map(([, r]) => r),
        ]),
      ),
    positions: () => new Partitions(positions),
    crashes: () => crashes,
    waitForPositions: async (end, timeoutMs) => {
      await waitFor(() => positions.reaches(end), {
        timeoutMs,
        intervalMs: 50,
        description: `reader of ${topic} to reach ${JSON.stringify([...end])} (at ${JSON.stringify([...positions])})`,
      });
    },
    stop: () => consumer.disconnect(),
  };
}
