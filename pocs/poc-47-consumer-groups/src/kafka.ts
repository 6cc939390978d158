import { kafkaLogCreator } from '@pocs/kafka';
import type { Logger } from '@pocs/shared/log';
import { retry } from '@pocs/shared/retry';
import { Kafka, logLevel } from 'kafkajs';
import { brokersOf, type Config } from './config.ts';

export function createKafka(
  config: Pick<Config, 'KAFKA_BROKERS'>,
  logger: Logger,
  clientId: string,
): Kafka {
  return new Kafka({
    clientId,
    brokers: brokersOf(config),
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(logger),
    retry: { retries: 8, initialRetryTime: 200 },
  });
}

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
