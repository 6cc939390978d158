import type { Logger } from '@pocs/shared/log';
import { retry } from '@pocs/shared/retry';
import { Kafka, type logCreator, logLevel } from 'kafkajs';
import { brokersOf, type Config } from './config.ts';

const toPino = { [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info' };

// Answers the group coordinator gives during every rebalance; kafkajs logs each at ERROR
// from its connection layer although the consumer handles them (it rejoins).
const groupProtocolNoise = [
  'The group is rebalancing',
  'The coordinator is not aware of this member',
  'Specified group generation id is not valid',
  // Metadata for a topic created a moment ago, while brokers' caches catch up (retried).
  'This server does not host this topic-partition',
];

/** kafkajs logs through pino, so LOG_LEVEL governs both. */
export const pinoLogCreator =
  (logger: Logger): logCreator =>
  () =>
  ({ namespace, level, log }) => {
    const { message, timestamp: _t, logger: _l, ...extra } = log;
    const noise =
      namespace === 'Connection' &&
      typeof extra.error === 'string' &&
      groupProtocolNoise.some((m) => (extra.error as string).startsWith(m));
    const method = noise
      ? 'debug'
      : ((toPino as Record<number, 'error' | 'warn' | 'info'>)[level] ?? 'debug');
    logger[method]({ namespace, ...extra }, message);
  };

export function createKafka(
  config: Pick<Config, 'KAFKA_BROKERS'>,
  logger: Logger,
  clientId: string,
): Kafka {
  return new Kafka({
    clientId,
    brokers: brokersOf(config),
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(logger),
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
