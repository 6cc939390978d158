import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: 'poc-75', level: config.LOG_LEVEL });
const { app } = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-75' }) });
const address = await startServer(app, { host: config.HOST, port: config.PORT });
logger.info(
  {
    capacityPerWindow: config.CAPACITY_PER_WINDOW,
    windowMs: config.WINDOW_MS,
    try: [
      `curl ${address}/resource`,
      `curl -X POST ${address}/outage -H 'content-type: application/json' -d '{"durationMs":10000}'`,
      `curl ${address}/stats`,
    ],
    metrics: `${address}/metrics`,
  },
  `poc-75 dependency listening on ${address}`,
);
