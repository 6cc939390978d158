import { brokerListStringEnv } from '@pocs/kafka';
import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

const identifier = (fallback: string) =>
  z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier (a-z, 0-9, _)')
    .default(fallback);

const kafkaName = (fallback: string) =>
  z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'expected letters, digits, . _ - (Kafka name rules)')
    .default(fallback);

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3046),
  LOG_LEVEL: env.logLevel(),
  /** Comma-separated bootstrap brokers: one broker or the 3-broker cluster. */
  KAFKA_BROKERS: brokerListStringEnv(serviceDefaults.KAFKA_BROKERS),
  KAFKA_CLIENT_ID: env.string('poc-46'),
  /** The order-events topic; created at start-up with TOPIC_PARTITIONS if missing. */
  TOPIC: kafkaName('poc46.orders'),
  /** Partitions of TOPIC: the unit of ordering and of consumer parallelism. */
  TOPIC_PARTITIONS: env.int(6, 1),
  /** Consumer group: the committed offsets belong to it, not to a process. */
  CONSUMER_GROUP: kafkaName('poc46-orders-writer'),
  /** Run the Postgres-writing consumer inside this process (0 = API only). */
  CONSUMER_ENABLED: env.flag(true),
  /**
   * Producer acks: -1 (all in-sync replicas have the record: with the idempotent producer)
   * or 1 (the leader alone: a leader crash can lose an acknowledged record).
   */
  PRODUCER_ACKS: z.enum(['-1', '1'], { error: 'expected -1 (all) or 1 (leader)' }).default('-1'),
  /** How long POST /orders waits for the broker's ack before it answers 503 (not accepted). */
  PRODUCE_TIMEOUT_MS: env.int(5_000, 1),
  /**
   * How long GET /topic waits for the brokers' offsets before it answers 503 (Retry-After: 1);
   * kafkajs' admin retries alone keep it waiting for tens of seconds on a broker that is gone.
   */
  ADMIN_TIMEOUT_MS: env.int(2_000, 100),
  /** kafkajs retries of one send (connection refused, leader moved) before it gives up. */
  PRODUCER_RETRIES: env.int(5, 0),
  POSTGRES_URL: env.url(serviceDefaults.POSTGRES_URL),
  PG_POOL_MAX: env.int(10, 1),
  PG_ACQUIRE_TIMEOUT_MS: env.int(2_000, 1),
  /** Postgres schema that holds the orders table; tests use one per run. */
  DB_SCHEMA: identifier('poc46'),
  /**
   * The fault: answer 202 before the broker acknowledged (fire and forget). While the
   * broker is down, accepted orders sit in memory until kafkajs gives up on them: lost.
   */
  BREAK_ACK_BEFORE_SEND: env.flag(false),
  /**
   * The fault: no unique constraint on orders(order_id), plain INSERT. Kafka delivers at
   * least once (a commit lost in a restart, a rewind): each redelivery is a second row.
   */
  BREAK_NO_UNIQUE_ORDER_ID: env.flag(false),
});

export type Config = z.infer<typeof configSchema>;

export const loadConfig = (source = process.env): Readonly<Config> =>
  parseConfig(configSchema, source);
