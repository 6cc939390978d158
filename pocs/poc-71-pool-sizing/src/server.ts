import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { loadConfig, ruleOfThumbPoolSize } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: 'poc-71', level: config.LOG_LEVEL });
const { app } = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-71' }) });
const address = await startServer(app, { host: config.HOST, port: config.PORT });

logger.info(
  {
    poolMax: config.PG_POOL_MAX,
    ruleOfThumb: ruleOfThumbPoolSize(config.EFFECTIVE_SPINDLES),
    try: [`${address}/products/42`, `${address}/categories/7/top-sellers`],
    metrics: `${address}/metrics`,
  },
  `poc-71 listening on ${address}`,
);
