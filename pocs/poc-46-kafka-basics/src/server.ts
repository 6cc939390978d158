import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: 'poc-46', level: config.LOG_LEVEL });
const { app } = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-46' }) });
const address = await startServer(app, { host: config.HOST, port: config.PORT });
logger.info(
  {
    topic: config.TOPIC,
    partitions: config.TOPIC_PARTITIONS,
    try: `curl -XPOST ${address}/orders -H 'content-type: application/json' -d '{"orderId":"…uuid…","customerId":"c-1","amountCents":1299}'`,
    topicView: `${address}/topic`,
  },
  `poc-46 listening on ${address}`,
);
