import { randomUUID } from 'node:crypto';
import { createKafka, createTopicsReady } from '@pocs/kafka';
import { seededRandom } from '@pocs/shared/backoff';
import { sleep, waitFor } from '@pocs/shared/wait';
import type { KafkaMessage } from 'kafkajs';
import { createOrderAudit, type OrderCounts } from './order-audit.ts';
import { eventFor } from './producer-retries.ts';
import { createSequenceGuard, type SequenceGuardStats } from './sequence-guard.ts';

/**
 * - concurrent: every message of a fetched batch is handled at once (Promise.all), so a
 *   slow handler for seq 3 lets seq 4 of the same key apply first.
 * - per-key-serial: a batch is split by key; keys run in parallel, each key's messages
 *   one after another in offset order.
 * - sequence-guard: handled concurrently as in `concurrent`, but the apply step checks
 *   seq === last applied + 1 and parks early arrivals until the gap fills.
 */
export const CONSUMER_MODES = ['concurrent', 'per-key-serial', 'sequence-guard'] as const;
export type ConsumerMode = (typeof CONSUMER_MODES)[number];

export interface ConsumerRunOptions {
  brokers: string[];
  mode: ConsumerMode;
  keys: number;
  eventsPerKey: number;
  partitions: number;
  /** Each message's handling takes a seeded-random 0…maxLatencyMs (a DB call, an API). */
  maxLatencyMs: number;
  seed: number;
  timeoutMs?: number;
}

export interface ConsumerRunResult extends OrderCounts {
  mode: ConsumerMode;
  published: number;
  /** Only for sequence-guard: what the check saw. */
  guard?: SequenceGuardStats;
  durationMs: number;
  /** Out-of-order events so far vs events read, for the chart. */
  curve: [number, number][];
}

type Handle = (message: KafkaMessage) => Promise<void>;

/** Process one fetched batch the way `mode` says; resolves when all of it is handled. */
async function processBatch(mode: ConsumerMode, messages: KafkaMessage[], handle: Handle) {
  if (mode !== 'per-key-serial') {
    await Promise.all(messages.map(handle));
    return;
  }
  const byKey = new Map<string, KafkaMessage[]>();
  for (const m of messages) {
    const key = m.key?.toString() ?? '';
    const list = byKey.get(key);
    if (list) list.push(m);
    else byKey.set(key, [m]);
  }
  await Promise.all(
    [...byKey.values()].map(async (list) => {
      for (const m of list) await handle(m);
    }),
  );
}

export async function runConsumerConcurrency(
  options: ConsumerRunOptions,
): Promise<ConsumerRunResult> {
  const { mode } = options;
  const kafka = createKafka({ clientId: `poc46-ooo-consumer-${mode}`, brokers: options.brokers });
  const topic = `poc46-ooo-consumer-${mode}-${randomUUID().slice(0, 8)}`;
  const groupId = `${topic}-group`;
  const total = options.keys * options.eventsPerKey;
  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  try {
    await createTopicsReady(admin, [{ topic, numPartitions: options.partitions }]);
    // Written in order by one idempotent producer, one send: the log itself is in order.
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const seqs = new Map<string, number>();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: total }, (_, i) => eventFor(i, options.keys, seqs)),
    });
    await producer.disconnect();

    const audit = createOrderAudit();
    const guard = createSequenceGuard((key, seq) => audit.observe(key, seq));
    const random = seededRandom(options.seed);
    // Distinct events handled: a redelivered batch must not end the run early.
    const handled = new Set<string>();
    const handle: Handle = async (message) => {
      const { key, seq } = JSON.parse(message.value?.toString() ?? '{}') as {
        key: string;
        seq: number;
      };
      // Drawn when the handler starts, so the sequence of latencies is the seed's.
      await sleep(Math.floor(random() * (options.maxLatencyMs + 1)));
      if (mode === 'sequence-guard') guard.offer(key, seq);
      else audit.observe(key, seq);
      handled.add(`${key}:${seq}`);
    };

    const startedAt = Date.now();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => processBatch(mode, batch.messages, handle),
    });
    await waitFor(() => handled.size >= total, {
      timeoutMs: options.timeoutMs ?? 60_000,
      description: `${total} events handled (${mode})`,
    });
    return {
      mode,
      published: total,
      ...(mode === 'sequence-guard' ? { guard: guard.stats() } : {}),
      durationMs: Date.now() - startedAt,
      ...audit.counts(seqs),
      curve: audit.curve(),
    };
  } finally {
    await consumer.disconnect().catch(() => {});
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}
