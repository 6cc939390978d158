import { brokerListStringEnv } from '@pocs/kafka';
import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { ConfigError } from '@pocs/shared/errors';
import { z } from 'zod';

const topicName = (fallback: string) =>
  z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'expected a topic name of letters, digits, . _ -')
    .default(fallback);

export const processingGuarantees = ['exactly_once_v2', 'at_least_once'] as const;
export type ProcessingGuarantee = (typeof processingGuarantees)[number];

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3048),
  LOG_LEVEL: env.logLevel(),
  /** Comma-separated bootstrap brokers: one broker or the 3-broker cluster. */
  KAFKA_BROKERS: brokerListStringEnv(serviceDefaults.KAFKA_BROKERS),
  /** Events {key, eventTime, id}, keyed by `key`. */
  INPUT_TOPIC: topicName('poc48.events'),
  /** Compacted: latest count per key|windowStart, tombstoned once the window is emitted. */
  CHANGELOG_TOPIC: topicName('poc48.window-counts-changelog'),
  /** Final count per key|windowStart, written once the window closed. */
  OUTPUT_TOPIC: topicName('poc48.window-counts'),
  /** Consumer group of the input; also the prefix of the transactional id (one per group). */
  APPLICATION_ID: topicName('poc48-window-counts'),
  /** Partitions of the topics this service creates when they are missing. */
  TOPIC_PARTITIONS: env.int(3, 1),
  /** Tumbling window size, in event-time milliseconds. */
  WINDOW_SIZE_MS: env.int(10_000, 1),
  /** How long after its end a window still accepts out-of-order events (event time). */
  GRACE_MS: env.int(5_000, 0),
  /**
   * exactly_once_v2: changelog writes, results and input offsets in one Kafka transaction.
   * at_least_once: changelog and results written first, offsets committed every
   * COMMIT_INTERVAL_MS (Kafka Streams' default guarantee): a crash replays, and double-counts.
   */
  PROCESSING_GUARANTEE: z
    .enum(processingGuarantees, { error: 'expected exactly_once_v2 or at_least_once' })
    .default('exactly_once_v2'),
  /** Commit (transaction or offset commit) at least this often while events flow. */
  COMMIT_INTERVAL_MS: env.int(100, 1),
  /** exactly_once_v2 also commits after this many events (bounds a transaction's size). */
  COMMIT_MAX_EVENTS: env.int(500, 1),
  /**
   * Longest one commit (a transaction, or a changelog write plus an offset commit) may take.
   * Past it, or on any commit error or consumer crash, the task's memory may be ahead of
   * Kafka: the processor throws the task away and restores a fresh one from the changelog.
   * kafkajs has no such bound: an idempotent producer retries a gone broker forever.
   */
  COMMIT_DEADLINE_MS: env.int(10_000, 100),
  /** The coordinator aborts a transaction left open this long; above COMMIT_DEADLINE_MS. */
  TRANSACTION_TIMEOUT_MS: env.int(30_000, 1_000),
  /** First delay before a failed task is restarted; doubles per failure in a row. */
  RESTART_BACKOFF_MS: env.int(500, 1),
  /** Longest delay between restarts: while Kafka is gone, a fresh task is tried this often. */
  RESTART_BACKOFF_MAX_MS: env.int(5_000, 1),
  /**
   * Largest fetch per input partition. Small fetches interleave the partitions (a batch per
   * partition at a time), so a crash finds every partition mid-stream; kafkajs default 1 MiB.
   */
  FETCH_MAX_BYTES_PER_PARTITION: env.int(1_048_576, 1_024),
  /** Consumer session timeout: how long a crashed instance holds its partitions (broker min 6000). */
  SESSION_TIMEOUT_MS: env.int(10_000, 1),
  /**
   * The fault: keep window counts in memory only (no changelog) and commit input offsets
   * anyway. A restart resumes after the committed offsets with empty windows: counts lost.
   */
  BREAK_NO_CHANGELOG: env.flag(false),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(source = process.env): Readonly<Config> {
  const config = parseConfig(configSchema, source);
  // Past the transaction timeout the coordinator has aborted the transaction anyway.
  if (config.COMMIT_DEADLINE_MS >= config.TRANSACTION_TIMEOUT_MS) {
    throw new ConfigError([
      `COMMIT_DEADLINE_MS=${config.COMMIT_DEADLINE_MS}: must be below TRANSACTION_TIMEOUT_MS (${config.TRANSACTION_TIMEOUT_MS})`,
    ]);
  }
  return config;
}
