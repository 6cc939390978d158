import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: 'poc-74', level: config.LOG_LEVEL });
const { app } = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-74' }) });
const address = await startServer(app, { host: config.HOST, port: config.PORT });

logger.info(
  {
    strategy: config.DEDUP_STRATEGY,
    uniqueGuard: config.PG_UNIQUE_GUARD,
    queue: config.QUEUE,
    try: [
      `curl -X POST ${address}/orders -H 'content-type: application/json' -d '{"orderId":42,"quantity":1,"copies":3}'`,
      `curl ${address}/orders/42/shipments`,
      `curl -X POST ${address}/replay -H 'content-type: application/json' -d '{"fromOrderId":1,"toOrderId":100}'`,
      `curl ${address}/shipments/summary`,
    ],
    metrics: `${address}/metrics`,
  },
  `poc-74 listening on ${address}`,
);
