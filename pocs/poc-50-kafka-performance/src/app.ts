import { createKafka } from '@pocs/kafka';
import { createDeadline, withinDeadline } from '@pocs/shared/deadline';
import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import type { ISocketFactory } from 'kafkajs';
import { z } from 'zod';
import type { Config } from './config.ts';
import { createLagExporter } from './lag-exporter.ts';

/** Kafka allows almost any group id; we accept the printable subset tools and shells handle. */
const lagQuery = z
  .object({
    group: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,249}$/, 'group must be 1–249 characters of A-Z a-z 0-9 . _ : -')
      .optional(),
  })
  .strict();

/**
 * The lag exporter: consumer-group lag for every group the broker knows, as Prometheus
 * gauges on /metrics and as JSON on /lag (what scripts/lag-view.ts and the break script read).
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
  const { kafkaSocketFactory, ...serverDeps } = deps;
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    logger: deps.logger,
    // A broker that stops answering times a request out after 5 s, not 30 s.
    requestTimeout: 5_000,
    ...(kafkaSocketFactory ? { socketFactory: kafkaSocketFactory } : {}),
  });
  const admin = kafka.admin();
  await admin.connect();
  const exporter = createLagExporter({
    admin,
    groupPattern: new RegExp(config.LAG_GROUP_PATTERN),
    cacheMs: config.LAG_CACHE_MS,
    deadlineMs: config.KAFKA_ADMIN_DEADLINE_MS,
    registry: deps.registry,
    logger: deps.logger,
  });

  const app = createServer({
    ...serverDeps,
    // Bounded: a broker that does not answer makes this a 503 within the deadline.
    health: async () => {
      const cluster = await withinDeadline(
        createDeadline(config.KAFKA_ADMIN_DEADLINE_MS),
        'describing the cluster',
        () => admin.describeCluster(),
      );
      return { brokers: cluster.brokers.length };
    },
  });
  app.addHook('onClose', async () => {
    await admin.disconnect();
  });

  app.get('/lag', async (request, reply) => {
    const parsed = lagQuery.safeParse(request.query);
    if (!parsed.success) {
      return sendProblem(reply, 400, 'invalid query', {
        detail: parsed.error.issues.map((i) => i.message).join('; '),
      });
    }
    const { group } = parsed.data;
    let lag: Awaited<ReturnType<typeof exporter.group>>;
    try {
      if (group === undefined) return await exporter.snapshot();
      lag = await exporter.group(group);
    } catch (err) {
      // Brokers unreachable or too slow: fail fast and say when to come back.
      request.log.warn({ err }, 'lag fetch failed');
      return sendProblem(reply.header('retry-after', '1'), 503, 'Kafka unavailable, retry later', {
        code: 'kafka_unavailable',
      });
    }
    if (lag.partitions.length === 0) {
      return sendProblem(reply, 404, `group ${group} has no committed offsets`, {
        code: 'unknown_group',
      });
    }
    return lag;
  });

  return { app, admin, exporter };
}
