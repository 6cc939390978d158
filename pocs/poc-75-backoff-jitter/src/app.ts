import type { Logger } from '@pocs/shared/log';
import { Counter, type Registry } from '@pocs/shared/metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import type { Config } from './config.ts';
import { createDependency } from './dependency.ts';

/** Longest outage the API accepts: 10 minutes. */
export const MAX_OUTAGE_MS = 600_000;

const outageBody = {
  type: 'object',
  required: ['durationMs'],
  properties: { durationMs: { type: 'integer', minimum: 1, maximum: MAX_OUTAGE_MS } },
} as const;

/**
 * The flaky dependency that 200 retrying clients hit: GET /resource answers 200, or 503
 * during an outage, or 503 when a window's capacity is used up (the herd at recovery).
 */
export async function buildApp(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry; now?: () => number },
) {
  const dependency = createDependency({
    capacityPerWindow: config.CAPACITY_PER_WINDOW,
    windowMs: config.WINDOW_MS,
    now: deps.now,
  });
  if (config.BREAK_OUTAGE_MS > 0) {
    dependency.startOutage(config.BREAK_OUTAGE_MS);
    deps.logger.warn({ outageMs: config.BREAK_OUTAGE_MS }, 'BREAK_OUTAGE_MS: starting down');
  }
  const requests = new Counter({
    name: 'dependency_requests_total',
    help: 'Requests to GET /resource by outcome: ok, down (outage), overloaded (over capacity).',
    labelNames: ['outcome'],
    registers: [deps.registry],
  });

  const app = createServer({
    ...deps,
    health: () => ({ down: dependency.isDown(), capacityPerWindow: config.CAPACITY_PER_WINDOW }),
  });

  app.get('/resource', async (_request, reply) => {
    const outcome = dependency.serve();
    requests.inc({ outcome });
    if (outcome === 'down') {
      return sendProblem(reply, 503, 'dependency down (injected outage)', { code: 'down' });
    }
    if (outcome === 'overloaded') {
      return sendProblem(reply, 503, 'dependency over capacity', { code: 'overloaded' });
    }
    return { ok: true };
  });

  app.post<{ Body: { durationMs: number } }>(
    '/outage',
    { schema: { body: outageBody } },
    async (request, reply) => reply.code(202).send(dependency.startOutage(request.body.durationMs)),
  );
  app.delete('/outage', async (_request, reply) => {
    dependency.endOutage();
    return reply.code(204).send();
  });
  app.get('/stats', async () => dependency.stats());
  app.post('/stats/reset', async (_request, reply) => {
    dependency.reset();
    return reply.code(204).send();
  });

  return { app, dependency };
}
