import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';
import { isDatabaseUnavailableError, isPocError, isPoolTimeoutError } from './errors.ts';
import { createValidatorFactory, formatSchemaErrors, inputProblem } from './http-inputs.ts';
import type { Logger } from './log.ts';
import { createHttpDurationHistogram } from './metrics.ts';
import { addOpenApi, type OpenApiInfo } from './openapi.ts';

/**
 * Answer with an RFC 9457 problem document. 4xx titles tell the caller what to fix;
 * `extra` carries stable machine-readable fields such as `code` or `detail`.
 */
export function sendProblem(
  reply: FastifyReply,
  status: number,
  title: string,
  extra: Record<string, unknown> = {},
) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title, status, ...extra });
}

export interface ServerOptions {
  logger: Logger;
  registry: Registry;
  /** Extra readiness facts for /health (e.g. pool stats); a throw makes /health answer 503. */
  health?: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Title and version of the OpenAPI document at /openapi.json. */
  openapi?: OpenApiInfo;
}

/**
 * Fastify with what every POC needs: /health, /metrics, /openapi.json, request-duration
 * metrics, strict request bodies, and an error handler that gives 4xx callers a message to
 * act on and keeps 5xx generic.
 *
 * HTTP inputs: bodies are JSON only (anything else is 415), never type-coerced, and unknown
 * properties are a 400 where a schema says `additionalProperties: false`; path, query and
 * headers are text and keep Fastify's coercion. Malformed, empty or oversized bodies are 4xx
 * problem documents. No input gets a 5xx.
 */
export function createServer({
  logger,
  registry,
  health,
  openapi,
}: ServerOptions): FastifyInstance {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger at run time; the cast keeps the instance type plain.
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request logs would dominate the benches; errors are still logged below.
    logController: new LogController({ disableRequestLogging: true }),
    schemaController: { compilersFactory: { buildValidator: createValidatorFactory() } },
    schemaErrorFormatter: formatSchemaErrors,
  });
  // Fastify parses text/plain as a string by default; the POCs speak JSON, so it is a 415.
  app.removeContentTypeParser('text/plain');
  // Before any route: the document is built from the routes declared after this.
  addOpenApi(app, openapi);
  const duration = createHttpDurationHistogram(registry);

  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return sendProblem(reply, 400, 'invalid request', { detail: error.message });
    }
    const input = inputProblem(error, request);
    if (input) {
      return sendProblem(reply, input.status, input.title, { code: input.code });
    }
    if (isPoolTimeoutError(error)) {
      // Overload, not a bug: tell the caller when to come back instead of a bare 500.
      request.log.warn({ err: error }, 'pool exhausted');
      return sendProblem(reply.header('retry-after', '1'), 503, 'database busy, retry later');
    }
    if (isDatabaseUnavailableError(error)) {
      // A dependency restart is a normal day: fail fast, say when to retry, keep serving.
      request.log.warn({ err: error }, 'database unavailable');
      return sendProblem(
        reply.header('retry-after', '1'),
        503,
        'database unavailable, retry later',
      );
    }
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status < 500) {
      return sendProblem(reply, status, error.message);
    }
    request.log.error(
      { err: error, retriable: isPocError(error) && error.retriable },
      'request failed',
    );
    return sendProblem(reply, 500, 'internal error');
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 404, `no route ${request.method} ${request.url}`),
  );

  app.get('/health', async (_request, reply) => {
    try {
      return { status: 'ok', ...(health ? await health() : {}) };
    } catch (err) {
      app.log.warn({ err }, 'health check failed');
      return reply.code(503).send({ status: 'unavailable' });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });

  return app;
}

export interface StartOptions {
  host: string;
  port: number;
  /** After this long, shutdown stops waiting for in-flight requests and exits anyway. */
  shutdownTimeoutMs?: number;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
  /**
   * How often to check that the process that launched this one (pnpm, tsx, a bench) is
   * still alive; when it is gone, shut down as on a signal. 0 turns the check off.
   */
  parentCheckIntervalMs?: number;
}

/**
 * Listen, then on SIGTERM/SIGINT stop accepting, let in-flight requests finish,
 * run onClose hooks (pools end there) and exit. A second signal exits at once.
 *
 * The same happens when the launcher dies: a signal sent to `pnpm start` that never
 * reaches this process (a shell in between, a SIGKILLed wrapper) must not leave an
 * orphan holding the port. The kernel re-parents an orphan, so its ppid changes.
 */
export async function startServer(
  app: FastifyInstance,
  {
    host,
    port,
    shutdownTimeoutMs = 10_000,
    signals = ['SIGTERM', 'SIGINT'],
    exit = (code) => process.exit(code),
    parentCheckIntervalMs = 1_000,
  }: StartOptions,
): Promise<string> {
  let stopping = false;
  let parentCheck: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals | 'parent exited') => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting without waiting');
      exit(1);
      return;
    }
    stopping = true;
    clearInterval(parentCheck);
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    const force = setTimeout(() => {
      app.log.error({ shutdownTimeoutMs }, 'shutdown timed out');
      exit(1);
    }, shutdownTimeoutMs);
    force.unref();
    app.close().then(
      () => {
        clearTimeout(force);
        app.log.info('shut down cleanly');
        exit(0);
      },
      (err) => {
        app.log.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  app.addHook('onClose', async () => {
    clearInterval(parentCheck);
    for (const signal of signals) process.off(signal, onSignal);
  });
  const address = await app.listen({ host, port });
  for (const signal of signals) process.once(signal, onSignal);
  if (parentCheckIntervalMs > 0) {
    const launcherPid = process.ppid;
    parentCheck = setInterval(() => {
      if (process.ppid === launcherPid) return;
      app.log.warn({ launcherPid, ppid: process.ppid }, 'launcher exited');
      onSignal('parent exited');
    }, parentCheckIntervalMs);
    parentCheck.unref();
  }
  return address;
}
