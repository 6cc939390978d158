import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

export const admissionModes = ['unbounded', 'fixed', 'adaptive', 'broker'] as const;
export type AdmissionMode = (typeof admissionModes)[number];

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3077),
  LOG_LEVEL: env.logLevel(),
  /**
   * How requests are admitted in front of the worker pool. `unbounded` is the bug: every
   * request is queued in memory, however long the queue. `fixed` sheds with 429 above
   * MAX_IN_FLIGHT; `adaptive` sheds above a Vegas-style limit that follows latency;
   * `broker` publishes each job to a bounded RabbitMQ queue (a full queue nacks → 429) and
   * consumes it with prefetch = WORKERS, so the backlog lives on the broker.
   */
  ADMISSION_MODE: z
    .enum(admissionModes, { error: `expected one of ${admissionModes.join(', ')}` })
    .default('fixed'),
  /** Jobs the worker pool runs at once; capacity = WORKERS × 1000 / JOB_SERVICE_MS jobs/s. */
  WORKERS: env.int(2, 1),
  /** How long one job occupies a worker, ms. */
  JOB_SERVICE_MS: env.int(100, 1),
  /** Memory each admitted job holds until it is done (its parsed payload), bytes. */
  JOB_MEMORY_BYTES: env.int(262_144, 0),
  /** `fixed` mode: requests admitted at once (running + queued); more get 429. */
  MAX_IN_FLIGHT: env.int(10, 1),
  /** `adaptive` mode: the limit starts here and stays within [1, ADAPTIVE_MAX_LIMIT]. */
  ADAPTIVE_INITIAL_LIMIT: env.int(4, 1),
  ADAPTIVE_MAX_LIMIT: env.int(200, 1),
  /** `broker` mode: the RabbitMQ the job queue lives on. */
  RABBITMQ_URL: env.string(serviceDefaults.RABBITMQ_URL),
  /** `broker` mode: ready jobs the queue holds (x-max-length); a publish beyond it is nacked → 429. */
  BROKER_MAX_LENGTH: env.int(8, 1),
  /**
   * `broker` mode: longest a request waits for its job (publish, queue, run), ms; then 503
   * with Retry-After. A dropped broker link answers every waiting request at once.
   */
  BROKER_JOB_TIMEOUT_MS: env.int(5_000, 1),
});

export type Config = z.infer<typeof configSchema>;

export const loadConfig = (source = process.env): Readonly<Config> =>
  parseConfig(configSchema, source);

/** Jobs per second the worker pool can finish: the service's capacity. */
export const capacityPerSec = (config: Pick<Config, 'WORKERS' | 'JOB_SERVICE_MS'>): number =>
  (config.WORKERS * 1000) / config.JOB_SERVICE_MS;
