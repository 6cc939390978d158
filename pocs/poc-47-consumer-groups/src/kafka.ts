import type { KafkaClientOptions } from '@pocs/kafka';
import { retry } from '@pocs/shared/retry';
import { logLevel } from 'kafkajs';

/**
 * What this POC passes to `createKafka` (@pocs/kafka) for every kafkajs client: group joins,
 * revocations and assignments are the lesson, so kafkajs logs at INFO (pino's LOG_LEVEL
 * still filters); client-level retries (metadata, coordinator lookups) go on for 8 attempts
 * from 200 ms, through a coordinator move or a broker restart.
 */
export const clientSettings = {
  level: logLevel.INFO,
  retry: { retries: 8, initialRetryTime: 200 },
} satisfies Partial<KafkaClientOptions>;

/**
 * Admin reads (lag, group state) retried on retriable broker answers such as
 * NOT_COORDINATOR, which a coordinator move or a broker restart produces; kafkajs's
 * admin returns those to the caller instead of retrying fetchOffsets itself.
 */
export const retryKafkaRead = <T>(read: () => Promise<T>): Promise<T> =>
  retry(read, {
    maxAttempts: 4,
    backoff: { strategy: 'full', baseMs: 100, capMs: 1_000 },
    isRetriable: (e) => (e as { retriable?: unknown })?.retriable === true,
  });
