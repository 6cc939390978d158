import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

export interface ReadToEndResult {
  records: number;
  durationMs: number;
}

let reads = 0;

/**
 * Read every committed record of a topic from the beginning up to its end offsets as of
 * the call, then stop. Transactions end in control records (commit/abort markers) that
 * consumers never see as messages, so "the last message arrived" cannot detect the end:
 * this tracks kafkajs' batch positions instead, which do advance over control records.
 * Uses a throwaway consumer group that it deletes afterwards.
 */
export async function readToEnd(o: {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  groupPrefix: string;
  onMessage: (partition: number, message: KafkaMessage) => void;
  timeoutMs?: number;
}): Promise<ReadToEndResult> {
  const started = performance.now();
  const offsets = await o.admin.fetchTopicOffsets(o.topic);
  const target = new Map(offsets.map((p) => [p.partition, Number(p.high)]));
  const position = new Map(offsets.map((p) => [p.partition, Number(p.low)]));
  const atEnd = () => [...target].every(([p, high]) => (position.get(p) ?? 0) >= high);
  let records = 0;
  if (atEnd()) return { records, durationMs: performance.now() - started };

  const groupId = `${o.groupPrefix}-read-${process.pid}-${++reads}-${Date.now().toString(36)}`;
  const consumer = o.kafka.consumer({
    groupId,
    readUncommitted: false,
    sessionTimeout: 10_000,
    // Big fetches: a restore reads the whole changelog as fast as the broker sends it.
    maxBytesPerPartition: 4 * 1024 * 1024,
    // disconnect() waits for the fetch in flight; a long-polling fetch would add up to 5 s.
    maxWaitTimeInMs: 100,
  });
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  // Fired for every fetched batch, including those holding only control records.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const next = Number(payload.lastOffset) + 1;
    if (next > (position.get(payload.partition) ?? 0)) position.set(payload.partition, next);
    if (atEnd()) resolveDone();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (Number(message.offset) >= (target.get(batch.partition) ?? 0)) break;
          records++;
          o.onMessage(batch.partition, message);
        }
      },
    });
    const timeoutMs = o.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `reading ${o.topic} to its end timed out after ${timeoutMs} ms (${records} records read)`,
              ),
            ),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect().catch(() => {});
    await o.admin.deleteGroups([groupId]).catch(() => {});
  }
  return { records, durationMs: performance.now() - started };
}
