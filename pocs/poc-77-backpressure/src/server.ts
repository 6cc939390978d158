import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { capacityPerSec, loadConfig } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: 'poc-77', level: config.LOG_LEVEL });
const { app } = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-77' }) });
const address = await startServer(app, { host: config.HOST, port: config.PORT });

logger.info(
  {
    admission: config.ADMISSION_MODE,
    capacityPerSec: capacityPerSec(config),
    try: `curl -X POST ${address}/jobs -H 'content-type: application/json' -d '{"task":"resize"}'`,
    metrics: `${address}/metrics`,
  },
  `poc-77 listening on ${address}`,
);
