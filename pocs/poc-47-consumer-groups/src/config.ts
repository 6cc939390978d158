import { brokerListStringEnv } from '@pocs/kafka';
import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

const name = (fallback: string) =>
  z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'expected letters, digits, . _ - (1-200 chars)')
    .default(fallback);

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3047),
  LOG_LEVEL: env.logLevel(),
  /** Comma-separated host:port list; works against one broker or the 3-broker cluster. */
  KAFKA_BROKERS: brokerListStringEnv(serviceDefaults.KAFKA_BROKERS),
  /** Downstream dedup store: one SET NX per message id. */
  REDIS_URL: env.url(serviceDefaults.REDIS_URL),
  /** Topic the group consumes; created at start-up (broker-default replication) if missing. */
  TOPIC: name('poc47.orders'),
  PARTITIONS: env.int(6, 1),
  /**
   * Longest POST /produce waits for the brokers before it answers 503 (Retry-After: 1).
   * Without it, each 500-message chunk could wait on kafkajs' retries for minutes.
   */
  PRODUCE_TIMEOUT_MS: env.int(10_000, 100),
  GROUP_ID: name('poc47-workers'),
  /** Prefix of every dedup key in Redis, so runs never share keys. */
  REDIS_KEY_PREFIX: env.string('poc47:'),
  /** Consumer processes started with the service; scale with POST/DELETE /consumers. */
  INITIAL_CONSUMERS: env.int(3, 0),
  MAX_CONSUMERS: env.int(12, 1),
  /** kafkajs sessionTimeout = session.timeout.ms: no heartbeat for this long and the broker evicts the member. */
  SESSION_TIMEOUT_MS: env.int(10_000, 1),
  /** kafkajs heartbeatInterval = heartbeat.interval.ms: the most often a heartbeat is sent (only from the consumer's own loop). */
  HEARTBEAT_INTERVAL_MS: env.int(1_000, 1),
  /** kafkajs rebalanceTimeout = the JoinGroup rebalance timeout (max.poll.interval.ms in the Java client). */
  REBALANCE_TIMEOUT_MS: env.int(20_000, 1),
  /** kafkajs maxBytesPerPartition: caps a batch, the nearest kafkajs has to max.poll.records. */
  MAX_BYTES_PER_PARTITION: env.int(1_048_576, 1),
  /** Simulated work per message (a downstream call), in ms. */
  PROCESS_MS_PER_MESSAGE: env.int(5, 0),
  /** Commit resolved offsets after this many messages (kafkajs autoCommitThreshold)... */
  COMMIT_EVERY_MESSAGES: env.int(50, 1),
  /** ...or after this long (kafkajs autoCommitInterval), whichever comes first. */
  COMMIT_INTERVAL_MS: env.int(1_000, 1),
  /**
   * The fault: process each fetched batch in one go, with no heartbeat and no offset
   * resolved until the batch ends (eachBatchAutoResolve). A batch longer than
   * SESSION_TIMEOUT_MS gets the member evicted, its work redelivered, again and again.
   */
  BREAK_BLOCKING_BATCH: env.flag(false),
});

export type Config = z.infer<typeof configSchema>;

export const loadConfig = (source = process.env): Readonly<Config> =>
  parseConfig(configSchema, source);

/** The config as env strings, to hand to a consumer child process. */
export function configToEnv(config: Readonly<Config>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  }
  return out;
}
