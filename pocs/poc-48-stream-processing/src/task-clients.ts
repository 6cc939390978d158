import type { Consumer, Kafka, Producer } from 'kafkajs';

/**
 * The task's producer and consumer. Under exactly_once_v2 the producer is transactional:
 * connecting it fences a crashed predecessor with the same transactional id.
 */
export function createTaskClients(o: {
  kafka: Kafka;
  applicationId: string;
  transactional: boolean;
  sessionTimeoutMs?: number;
  fetchMaxBytesPerPartition?: number;
}): { producer: Producer; consumer: Consumer } {
  const producer = o.kafka.producer(
    o.transactional
      ? {
          transactionalId: `${o.applicationId}-task-producer`,
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
        }
      : { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false },
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
  });
  return { producer, consumer };
}
