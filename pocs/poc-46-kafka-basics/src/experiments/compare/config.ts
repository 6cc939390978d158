import { brokerListEnv } from '@pocs/kafka';
import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

/**
 * Settings of the Kafka-vs-RabbitMQ comparison (bench/kafka-vs-rabbitmq.ts and its test).
 * Kept apart from the service's src/config.ts: the comparison is a lab, not part of the service.
 */
export const compareConfigSchema = z.object({
  /** Comma-separated bootstrap brokers: one broker or the 3-broker cluster both work. */
  KAFKA_BROKERS: brokerListEnv(serviceDefaults.KAFKA_BROKERS),
  RABBITMQ_URL: env.url(serviceDefaults.RABBITMQ_URL),
});

export type CompareConfig = z.infer<typeof compareConfigSchema>;

export const loadCompareConfig = (source = process.env): Readonly<CompareConfig> =>
  parseConfig(compareConfigSchema, source);
