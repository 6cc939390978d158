import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildProviderApp } from './app.ts';
import { loadProviderConfig } from './config.ts';

const config = loadProviderConfig();
const logger = createLogger({ name: 'poc-73-provider', level: config.LOG_LEVEL });
const { app } = await buildProviderApp(config, {
  logger,
  registry: createRegistry({ poc: 'poc-73' }),
});
const address = await startServer(app, { host: config.HOST, port: config.PORT });
logger.info(
  { ledger: `${config.PROVIDER_SCHEMA}.charges` },
  `payment provider listening on ${address}`,
);
