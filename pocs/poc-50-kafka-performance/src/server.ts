import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: 'poc-50', level: config.LOG_LEVEL });
const { app } = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-50' }) });
const address = await startServer(app, { host: config.HOST, port: config.PORT });
logger.info(
  {
    brokers: config.KAFKA_BROKERS,
    groups: config.LAG_GROUP_PATTERN,
    try: [`curl ${address}/lag`, `curl '${address}/lag?group=<group id>'`],
    metrics: `${address}/metrics`,
  },
  `poc-50 lag exporter listening on ${address}`,
);
