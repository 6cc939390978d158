import { brokerListStringEnv } from '@pocs/kafka';
import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { ConfigError } from '@pocs/shared/errors';
import { z } from 'zod';

export const copyModes = ['transactional', 'at-least-once'] as const;
export type CopyMode = (typeof copyModes)[number];

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3049),
  LOG_LEVEL: env.logLevel(),
  /**
   * Bootstrap list. The client learns the other brokers from metadata, but only once it has
   * reached one of these: on a cluster list them all, or a copier restarted while its only
   * bootstrap broker is down cannot start (the harness passes every broker's address).
   */
  KAFKA_BROKERS: brokerListStringEnv(serviceDefaults.KAFKA_BROKERS),
  INPUT_TOPIC: env.string('poc49.input'),
  OUTPUT_TOPIC: env.string('poc49.output'),
  /** The copier's consumer group: its committed offsets are the copier's progress. */
  GROUP_ID: env.string('poc49-copier'),
  /** Stable across restarts: a restarted copier with the same id fences the crashed one. */
  TRANSACTIONAL_ID: env.string('poc49-copier'),
  /** `at-least-once` is the broken twin: produce, then commit offsets separately. */
  COPY_MODE: z.enum(copyModes).default('transactional'),
  /** Messages per transaction (transactional) — the batch size the bench varies. */
  TX_MAX_MESSAGES: env.int(500, 1),
  /**
   * First retry delay of the transactional producer. After a commit the coordinator answers
   * the next AddPartitionsToTxn with CONCURRENT_TRANSACTIONS until its markers are written;
   * kafkajs' default 300 ms backoff then makes every transaction ≥ 300 ms (kafkajs#304).
   * Java retries after 20 ms (KAFKA-5477).
   */
  TX_RETRY_INITIAL_MS: env.int(20, 1),
  /** The coordinator aborts a transaction left open this long (kafkajs default 60 s). */
  TRANSACTION_TIMEOUT_MS: env.int(30_000, 1_000),
  /**
   * Longest one transaction (send, sendOffsets, commit), one at-least-once send or offset
   * commit, or the startup (connect, fence, join) may take before the copier gives up and
   * exits, like Java's max.block.ms. Long
   * enough to ride out a leader failover (the controller fences a dead broker after 9 s
   * here); kafkajs has no such bound, and a call caught by a broker crash can wait forever.
   */
  TX_DEADLINE_MS: env.int(15_000, 1_000),
  /** at-least-once only: commit consumed offsets this often (Kafka's auto.commit.interval.ms default). */
  AUTO_COMMIT_INTERVAL_MS: env.int(5_000, 1),
  /** at-least-once only: also commit after this many messages; 0 = interval only. */
  AUTO_COMMIT_EVERY_MESSAGES: env.int(0, 0),
  /** How long the group waits for a crashed copier before handing its partitions on (broker min 6 s). */
  SESSION_TIMEOUT_MS: env.int(6_000, 6_000),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(source = process.env): Readonly<Config> {
  const config = parseConfig(configSchema, source);
  // Past the transaction timeout the coordinator has aborted the transaction anyway.
  if (config.TX_DEADLINE_MS >= config.TRANSACTION_TIMEOUT_MS) {
    throw new ConfigError([
      `TX_DEADLINE_MS=${config.TX_DEADLINE_MS}: must be below TRANSACTION_TIMEOUT_MS (${config.TRANSACTION_TIMEOUT_MS})`,
    ]);
  }
  return config;
}
