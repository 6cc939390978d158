import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: 'poc-73', level: config.LOG_LEVEL });
const { app } = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-73' }) });
const address = await startServer(app, { host: config.HOST, port: config.PORT });
logger.info(
  {
    handler: config.BREAK_NO_IDEMPOTENCY
      ? 'no idempotency keys (the bug)'
      : 'idempotency keys (the fix)',
    provider: config.PROVIDER_URL,
    try: `curl -X POST ${address}/payments -H 'x-api-key: shop_1' -H 'idempotency-key: order-42-try' -H 'content-type: application/json' -d '{"amountCents":1999,"orderId":"order-42"}'`,
    metrics: `${address}/metrics`,
  },
  `poc-73 listening on ${address}`,
);
