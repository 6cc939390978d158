import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: 'poc-72', level: config.LOG_LEVEL });
const { app } = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-72' }) });
const address = await startServer(app, { host: config.HOST, port: config.PORT });

logger.info(
  {
    handler: config.BREAK_LEAK_ON_ERROR ? 'refundOrderLeaky (the bug)' : 'refundOrder (the fix)',
    poolMax: config.PG_POOL_MAX,
    leakThresholdMs: config.PG_LEAK_THRESHOLD_MS,
    try: [
      `curl ${address}/orders/42`,
      `curl -X POST ${address}/orders/42/refunds -H 'content-type: application/json' -d '{"amountCents":500}'`,
    ],
    metrics: `${address}/metrics`,
  },
  `poc-72 listening on ${address}`,
);
