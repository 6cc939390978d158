import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: 'poc-47', level: config.LOG_LEVEL });
const { app } = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-47' }) });
const address = await startServer(app, { host: config.HOST, port: config.PORT });
logger.info(
  {
    consumers: `${address}/consumers`,
    assignments: `${address}/assignments`,
    lag: `${address}/lag`,
    metrics: `${address}/metrics`,
  },
  `poc-47 listening on ${address}: ${config.INITIAL_CONSUMERS} consumers in group ${config.GROUP_ID} on ${config.TOPIC}`,
);
