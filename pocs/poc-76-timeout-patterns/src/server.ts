import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildService } from '@pocs/shared/child-service';
import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp, servicePort } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: `poc-76-${config.SERVICE}`, level: config.LOG_LEVEL });

if (config.SERVICE === 'all') {
  // Each service in its own process, as in production: one stuck hop can't borrow
  // another's event loop. Children stop when this launcher stops.
  const here = dirname(fileURLToPath(import.meta.url));
  const started = [];
  for (const [service, port] of [
    ['inventory', config.INVENTORY_PORT],
    ['orders', config.ORDERS_PORT],
    ['gateway', config.PORT],
  ] as const) {
    started.push(
      await startChildService({
        entry: join(here, 'server.ts'),
        cwd: join(here, '..'),
        port,
        host: config.HOST,
        env: { SERVICE: service, LOG_LEVEL: config.LOG_LEVEL },
        onOutput: (text) => process.stdout.write(text),
      }),
    );
  }
  logger.info(
    {
      mode: config.BREAK_NO_TIMEOUTS
        ? 'BREAK_NO_TIMEOUTS=1 (the bug)'
        : 'timeouts + deadline + breaker',
      try: `curl http://${config.HOST}:${config.PORT}/api/availability/SKU-42`,
      metrics: started.map((s) => `${s.url}/metrics`),
    },
    'poc-76 chain running: gateway → orders → inventory → Postgres',
  );
} else {
  const app = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-76' }) });
  const address = await startServer(app, { host: config.HOST, port: servicePort(config) });
  if (config.BREAK_NO_TIMEOUTS) {
    logger.warn(
      'BREAK_NO_TIMEOUTS=1: no timeouts, no deadline, no breaker, retries at every layer',
    );
  }
  logger.info(
    { metrics: `${address}/metrics` },
    `poc-76 ${config.SERVICE} listening on ${address}`,
  );
}
