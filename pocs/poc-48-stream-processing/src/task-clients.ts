import type { Consumer, Kafka, Producer } from 'kafkajs';

/**
 * The task's producer and consumer. Under exactly_once_v2 the producer is transactional:
 * connecting it fences a crashed predecessor with the same transactional id.
 */
export function createTaskClients(o: {
  kafka: Kafka;
  applicationId: string;
  transactional: boolean;
  /** The coordinator aborts a transaction left open this long. */
  transactionTimeoutMs: number;
  sessionTimeoutMs?: number;
  fetchMaxBytesPerPartition?: number;
}): { producer: Producer; consumer: Consumer } {
  // kafkajs gives an idempotent producer without `retry` Number.MAX_SAFE_INTEGER retries: a
  // send to a broker that is gone never returns. Capped here (about 6 s of attempts), and
  // each commit has its own deadline (COMMIT_DEADLINE_MS) on top.
  const retry = { retries: 8, initialRetryTime: 100, maxRetryTime: 1_000 };
  const producer = o.kafka.producer(
    o.transactional
      ? {
          transactionalId: `${o.applicationId}-task-producer`,
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          transactionTimeout: o.transactionTimeoutMs,
          retry,
        }
      : { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry },
  );
  const consumer = o.kafka.consumer({
    groupId: o.applicationId,
    readUncommitted: false,
    sessionTimeout: o.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: Math.min(3_000, Math.floor((o.sessionTimeoutMs ?? 10_000) / 3)),
    allowAutoTopicCreation: false,
    // A stop waits for the fetch in flight: keep long polls short.
    maxWaitTimeInMs: 500,
    maxBytesPerPartition: o.fetchMaxBytesPerPartition ?? 1_048_576,
    // A few quick retries, then a crash; kafkajs does not restart the consumer itself: the
    // processor throws the task away and restores a fresh one (see task.ts).
    retry: {
      retries: 3,
      initialRetryTime: 200,
      maxRetryTime: 1_000,
      restartOnFailure: async () => false,
    },
  });
  return { producer, consumer };
}
