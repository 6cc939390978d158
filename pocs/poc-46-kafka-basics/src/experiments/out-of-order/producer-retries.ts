import { randomUUID } from 'node:crypto';
import { createKafka, createTopicsReady } from '@pocs/kafka';
import type { ProxyHandle } from '@pocs/shared/toxiproxy';
import { sleep } from '@pocs/shared/wait';
import { logLevel, type Message, type Producer } from 'kafkajs';
import { createOrderAudit, type OrderCounts } from './order-audit.ts';
import { readWholeTopic } from './read-topic.ts';

/**
 * - concurrent: every event is its own `send()`, many in flight, retries on, no
 *   idempotence (what an HTTP handler that publishes per request does).
 * - idempotent-concurrent: the same, with `idempotent: true`. kafkajs assigns sequence
 *   numbers per `send()` attempt and rolls them back on a timeout, so another send can
 *   take the number before the retry does: idempotence alone does not fix it here.
 * - idempotent-serial: `idempotent: true` and one `send()` at a time; events that arrive
 *   meanwhile wait in a buffer and go as the next batch. A retry then resends the same
 *   batch with the same sequence numbers, and the broker drops the copy it already has.
 */
export const PRODUCER_MODES = ['concurrent', 'idempotent-concurrent', 'idempotent-serial'] as const;
export type ProducerMode = (typeof PRODUCER_MODES)[number];

/**
 * Slow responses: a toxiproxy `latency` toxic on the broker's responses (downstream),
 * switched on `windows` times for `windowMs`. A request sent early in a window waits
 * longer than the client's request timeout although the broker already wrote it; the
 * client times it out and sends it again. (Removing the toxic releases what it holds,
 * so only requests sent in the first windowMs − requestTimeoutMs ms of a window time out.)
 */
export interface SlowResponses {
  windows: number;
  windowMs: number;
  latencyMs: number;
}

export interface ProducerRunOptions {
  brokers: string[];
  proxy: ProxyHandle;
  mode: ProducerMode;
  events: number;
  keys: number;
  partitions: number;
  ratePerSec: number;
  requestTimeoutMs: number;
  slowResponses: SlowResponses;
}

export interface ProducerRunResult extends OrderCounts {
  mode: ProducerMode;
  published: number;
  /** send() promises that rejected (after kafkajs gave up retrying). */
  sendErrors: number;
  /** Produce requests kafkajs timed out (each one was retried). */
  requestTimeouts: number;
  /** Failed attempts kafkajs logged before retrying, by message. */
  retriedErrors: Record<string, number>;
  durationMs: number;
  /** Out-of-order events so far vs events read, for the chart. */
  curve: [number, number][];
}

interface Publisher {
  publish(message: Message): void;
  /** Resolves when every published event was acknowledged or failed. */
  flush(): Promise<void>;
  errors(): number;
}

function createConcurrentPublisher(producer: Producer, topic: string): Publisher {
  const pending: Promise<unknown>[] = [];
  let errors = 0;
  return {
    publish(message) {
      pending.push(
        producer.send({ topic, acks: -1, messages: [message] }).catch(() => {
          errors += 1;
        }),
      );
    },
    flush: async () => {
      await Promise.all(pending);
    },
    errors: () => errors,
  };
}

/** One send in flight; whatever arrived meanwhile is the next batch, in arrival order. */
function createSerialPublisher(producer: Producer, topic: string): Publisher {
  let buffer: Message[] = [];
  let draining: Promise<void> | undefined;
  let errors = 0;
  const drain = async () => {
    while (buffer.length > 0) {
      const batch = buffer;
      buffer = [];
      try {
        await producer.send({ topic, acks: -1, messages: batch });
      } catch {
        errors += batch.length;
      }
    }
    draining = undefined;
  };
  return {
    publish(message) {
      buffer.push(message);
      draining ??= drain();
    },
    flush: async () => {
      while (draining) await draining;
    },
    errors: () => errors,
  };
}

/** Event i belongs to key i mod keys; its sequence is that key's running count. */
export function eventFor(i: number, keys: number, seqs: Map<string, number>): Message {
  const key = `key-${i % keys}`;
  const seq = (seqs.get(key) ?? 0) + 1;
  seqs.set(key, seq);
  return { key, value: JSON.stringify({ key, seq }) };
}

export async function runProducerRetries(options: ProducerRunOptions): Promise<ProducerRunResult> {
  const { proxy, slowResponses, mode } = options;
  const idempotent = mode !== 'concurrent';
  const retriedErrors: Record<string, number> = {};
  const kafka = createKafka({
    clientId: `poc46-ooo-${mode}`,
    brokers: options.brokers,
    requestTimeout: options.requestTimeoutMs,
    level: logLevel.ERROR,
    logCreator: () => (entry) => {
      // kafkajs logs each failed attempt it is about to retry: count them by cause.
      if (entry.namespace !== 'Producer') return;
      const cause = entry.log.message.replace(/\d+/g, 'N');
      retriedErrors[cause] = (retriedErrors[cause] ?? 0) + 1;
    },
  });
  const topic = `poc46-ooo-producer-${mode}-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsReady(admin, [{ topic, numPartitions: options.partitions }]);
  const producer = kafka.producer({
    idempotent,
    // kafkajs' default for an idempotent producer is unlimited retries; the plain one gets
    // 5. Same backoff for both so only idempotence and concurrency differ.
    retry: {
      initialRetryTime: 200,
      maxRetryTime: 2_000,
      factor: 0.2,
      multiplier: 2,
      retries: idempotent ? Number.MAX_SAFE_INTEGER : 5,
    },
  });
  let requestTimeouts = 0;
  producer.on(producer.events.REQUEST_TIMEOUT, () => {
    requestTimeouts += 1;
  });
  await producer.connect();
  const publisher =
    mode === 'idempotent-serial'
      ? createSerialPublisher(producer, topic)
      : createConcurrentPublisher(producer, topic);

  // Windows spread evenly over the run, so each one's retries settle before the next.
  const windowStarts = Array.from({ length: slowResponses.windows }, (_, w) =>
    Math.floor(((2 * w + 1) * options.events) / (2 * slowResponses.windows + 1)),
  );
  const faultsDone: Promise<void>[] = [];
  const slowWindow = async () => {
    await proxy.addToxic({
      name: 'slow-responses',
      type: 'latency',
      stream: 'downstream',
      attributes: { latency: slowResponses.latencyMs, jitter: 0 },
    });
    await sleep(slowResponses.windowMs);
    await proxy.removeToxic('slow-responses');
  };
  const seqs = new Map<string, number>();
  const startedAt = Date.now();
  try {
    for (let i = 0; i < options.events; i++) {
      const due = startedAt + (i * 1000) / options.ratePerSec;
      if (due > Date.now()) await sleep(due - Date.now());
      // A window opens only once the previous one is closed: on a loaded machine the next
      // start can come before the last removeToxic, and toxiproxy refuses a second toxic
      // of the same name (409 "toxic already exists").
      if (windowStarts.includes(i))
        faultsDone.push((faultsDone.at(-1) ?? Promise.resolve()).then(slowWindow));
      publisher.publish(eventFor(i, options.keys, seqs));
    }
    await Promise.all(faultsDone);
    await publisher.flush();
    const durationMs = Date.now() - startedAt;

    const audit = createOrderAudit();
    for (const record of await readWholeTopic(kafka, topic)) {
      const { key, seq } = JSON.parse(record.value) as { key: string; seq: number };
      audit.observe(key, seq);
    }
    return {
      mode,
      published: options.events,
      sendErrors: publisher.errors(),
      requestTimeouts,
      retriedErrors,
      durationMs,
      ...audit.counts(seqs),
      curve: audit.curve(),
    };
  } finally {
    await Promise.allSettled(faultsDone);
    await proxy.removeToxic('slow-responses').catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}
