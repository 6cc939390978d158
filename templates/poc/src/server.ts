import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: 'poc-__NN__', level: config.LOG_LEVEL });
const { app } = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-__NN__' }) });
const address = await startServer(app, { host: config.HOST, port: config.PORT });
logger.info(
  { try: `${address}/hello`, metrics: `${address}/metrics` },
  `poc-__NN__ listening on ${address}`,
);
