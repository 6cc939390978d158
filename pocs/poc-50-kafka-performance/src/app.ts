import { createKafka } from '@pocs/kafka';
import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
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
  deps: { logger: Logger; registry: Registry },
) {
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    logger: deps.logger,
  });
  const admin = kafka.admin();
  await admin.connect();
  const exporter = createLagExporter({
    admin,
    groupPattern: new RegExp(config.LAG_GROUP_PATTERN),
    cacheMs: config.LAG_CACHE_MS,
    registry: deps.registry,
    logger: deps.logger,
  });

  const app = createServer({
    ...deps,
    health: async () => {
      const cluster = await admin.describeCluster();
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
    if (group === undefined) return exporter.snapshot();
    const lag = await exporter.group(group);
    if (lag.partitions.length === 0) {
      return sendProblem(reply, 404, `group ${group} has no committed offsets`, {
        code: 'unknown_group',
      });
    }
    return lag;
  });

  return { app, admin, exporter };
}
