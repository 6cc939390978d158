import { createKafka } from '@pocs/kafka';
import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { createCopier } from './copier.ts';
import { clientRetry, kafkaLevelFor } from './kafka.ts';

/** Exit codes a supervisor can tell apart: fenced means "another copier took over". */
export const EXIT_FAILED = 1;
export const EXIT_FENCED = 3;

const config = loadConfig();
const logger = createLogger({ name: 'poc-49', level: config.LOG_LEVEL });
const registry = createRegistry({ poc: 'poc-49' });
const kafka = createKafka({
  brokers: config.KAFKA_BROKERS,
  clientId: 'poc49-copier',
  logger,
  level: kafkaLevelFor(logger),
  retry: clientRetry,
});
const copier = createCopier({
  config,
  kafka,
  logger,
  registry,
  onFatal: (kind) => {
    // Leave the group so the survivor gets our partitions now, not after the session timeout.
    const deadline = setTimeout(
      () => process.exit(kind === 'fenced' ? EXIT_FENCED : EXIT_FAILED),
      3_000,
    );
    void copier.stop().finally(() => {
      clearTimeout(deadline);
      process.exit(kind === 'fenced' ? EXIT_FENCED : EXIT_FAILED);
    });
  },
});
const { app } = await buildApp(config, { logger, registry, copierStats: copier.stats });
app.addHook('onClose', () => copier.stop());
const address = await startServer(app, { host: config.HOST, port: config.PORT });
logger.info(
  { status: `${address}/status`, metrics: `${address}/metrics` },
  `poc-49 ${config.COPY_MODE} copier: ${config.INPUT_TOPIC} → ${config.OUTPUT_TOPIC}`,
);
await copier.start();
