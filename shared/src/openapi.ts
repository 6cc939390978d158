import { fastifySwagger } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

export const OPENAPI_PATH = '/openapi.json';

export interface OpenApiInfo {
  /** Defaults to the package pnpm runs (`npm_package_name`), e.g. `poc-71`. */
  title?: string;
  version?: string;
}

/**
 * An OpenAPI 3.1 document generated from the route schemas (@fastify/swagger), served at
 * GET /openapi.json. 3.1 because its Schema Object is JSON Schema: the Ajv schemas the
 * routes validate with go in unchanged. Routes without schemas are listed too.
 *
 * @fastify/swagger collects routes in an `onRoute` hook, so the hook must exist before the
 * first route is declared. `app.register()` would only add it when plugins load (at
 * `ready`), after the POC's routes, so the plugin function runs here directly, on the root
 * instance, which is what registering it with fastify-plugin (skip-override) would do.
 */
export function addOpenApi(app: FastifyInstance, info: OpenApiInfo = {}): void {
  const options = {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: info.title ?? process.env.npm_package_name ?? 'resilience-poc',
        version: info.version ?? process.env.npm_package_version ?? '0.0.0',
      },
    },
  };
  fastifySwagger(app, options, (err) => {
    if (err) throw err;
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
