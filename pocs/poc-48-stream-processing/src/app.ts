import { createKafka } from '@pocs/kafka';
import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import type { ISocketFactory } from 'kafkajs';
import { z } from 'zod';
import type { Config } from './config.ts';
import { ensureTopics } from './kafka.ts';
import { createProcessor } from './processor.ts';

const windowsQuery = z
  .object({
    key: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .strict();

/** Topic configs of the changelog: compacted, so it keeps only the latest count per window. */
export const changelogTopicConfigs = { 'cleanup.policy': 'compact' };

/**
 * The stream-processing service: a windowed count over INPUT_TOPIC, its state restored from
 * CHANGELOG_TOPIC on start, final results on OUTPUT_TOPIC. HTTP shows what is in flight.
 */
export async function buildApp(
  config: Readonly<Config>,
  deps: {
    logger: Logger;
    registry: Registry;
    /** How Kafka connections are opened; tests route them through toxiproxy. */
    kafkaSocketFactory?: ISocketFactory;
  },
) {
  // kafkajs logs through pino at WARN and up (its info level is chatty). Client-level
  // retries (metadata, admin, coordinator lookups) give up within seconds, not a minute,
  // and a broker that stops answering times a request out after 5 s instead of 30 s.
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: 'poc-48',
    logger: deps.logger,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
    requestTimeout: 5_000,
    ...(deps.kafkaSocketFactory ? { socketFactory: deps.kafkaSocketFactory } : {}),
  });
  const admin = kafka.admin();
  await admin.connect();
  const processor = createProcessor({
    kafka,
    admin,
    inputTopic: config.INPUT_TOPIC,
    changelogTopic: config.CHANGELOG_TOPIC,
    outputTopic: config.OUTPUT_TOPIC,
    applicationId: config.APPLICATION_ID,
    spec: { sizeMs: config.WINDOW_SIZE_MS, graceMs: config.GRACE_MS },
    guarantee: config.PROCESSING_GUARANTEE,
    changelog: !config.BREAK_NO_CHANGELOG,
    commitIntervalMs: config.COMMIT_INTERVAL_MS,
    commitMaxEvents: config.COMMIT_MAX_EVENTS,
    commitDeadlineMs: config.COMMIT_DEADLINE_MS,
    transactionTimeoutMs: config.TRANSACTION_TIMEOUT_MS,
    restartBackoff: { baseMs: config.RESTART_BACKOFF_MS, capMs: config.RESTART_BACKOFF_MAX_MS },
    sessionTimeoutMs: config.SESSION_TIMEOUT_MS,
    fetchMaxBytesPerPartition: config.FETCH_MAX_BYTES_PER_PARTITION,
    registry: deps.registry,
    logger: deps.logger,
  });
  try {
    await ensureTopics(admin, [
      { topic: config.INPUT_TOPIC, partitions: config.TOPIC_PARTITIONS },
      {
        topic: config.CHANGELOG_TOPIC,
        partitions: config.TOPIC_PARTITIONS,
        configs: changelogTopicConfigs,
      },
      { topic: config.OUTPUT_TOPIC, partitions: config.TOPIC_PARTITIONS },
    ]);
    await processor.start();
  } catch (err) {
    await processor.stop().catch(() => {});
    await admin.disconnect().catch(() => {});
    throw err;
  }
  if (config.BREAK_NO_CHANGELOG) {
    deps.logger.warn('BREAK_NO_CHANGELOG=1: a restart loses every open window count');
  }
  if (config.PROCESSING_GUARANTEE === 'at_least_once' && !config.BREAK_NO_CHANGELOG) {
    deps.logger.warn('at_least_once: a crash replays events the changelog already counted');
  }

  const app = createServer({
    ...deps,
    // 503 whenever the task is not consuming (restoring, recovering after a failure, stopped):
    // a processor that stopped for good must never look healthy.
    health: () => {
      const s = processor.stats();
      if (s.phase !== 'running') {
        throw new Error(`processor ${s.phase} (${s.restarts} restarts; last: ${s.lastFailure})`);
      }
      return {
        phase: s.phase,
        guarantee: s.guarantee,
        changelog: s.changelog,
        restarts: s.restarts,
      };
    },
  });
  app.addHook('onClose', async () => {
    await processor.stop();
    await admin.disconnect().catch(() => {});
  });

  app.get('/windows', async (request, reply) => {
    const parsed = windowsQuery.safeParse(request.query);
    if (!parsed.success) {
      return sendProblem(reply, 400, 'invalid query: key is 1-200 chars, limit 1-1000', {
        code: 'invalid_query',
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    const { key, limit } = parsed.data;
    const all = processor.windows(key);
    return {
      key: key ?? null,
      windowSizeMs: config.WINDOW_SIZE_MS,
      graceMs: config.GRACE_MS,
      total: all.length,
      windows: all.slice(0, limit),
    };
  });

  app.get('/stats', async () => processor.stats());

  return { app, processor, kafka, admin };
}
