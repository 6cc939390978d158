import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createServer } from '@pocs/shared/server';
import { sleep } from '@pocs/shared/wait';
import type { Config } from './config.ts';

/** Builds the service; replace the example route with the POC's own. */
export async function buildApp(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry },
) {
  const app = createServer(deps);

  app.get<{ Querystring: { name: string } }>(
    '/hello',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1, maxLength: 64, default: 'world' } },
        },
      },
    },
    async (request) => {
      if (config.BREAK_SLOW_MS > 0) await sleep(config.BREAK_SLOW_MS);
      return { hello: request.query.name };
    },
  );

  return { app };
}
