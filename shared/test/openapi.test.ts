import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/log.ts';
import { createRegistry } from '../src/metrics.ts';
import { createServer } from '../src/server.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const paymentBody = {
  type: 'object',
  required: ['amountCents'],
  additionalProperties: false,
  properties: {
    amountCents: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    orderId: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001F]+$' },
  },
} as const;

function build() {
  const server = createServer({
    logger: silentLogger,
    registry: createRegistry({ defaultMetrics: false }),
    openapi: { title: 'poc-test', version: '1.2.3' },
  });
  server.post(
    '/shops/:shop/payments',
    {
      schema: {
        params: {
          type: 'object',
          required: ['shop'],
          properties: { shop: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        },
        body: paymentBody,
      },
    },
    async () => ({ ok: true }),
  );
  server.get('/no-schema/:name', async () => 'x');
  server.register(
    async (child) => {
      child.get('/inside', async () => 'x');
    },
    { prefix: '/plugin' },
  );
  return server;
}

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * What OpenAPI 3.1 requires of the parts a Fastify app generates (OAS 3.1 §4.8): an
 * `openapi` version and `info` with title and version; paths that start with `/`; every
 * operation with `responses`, each response with a `description`; parameters with `name`,
 * a known `in`, a schema, and `required: true` for path parameters, one per `{template}`
 * segment of the path; request bodies with `content` keyed by media type. Every schema must
 * compile as JSON Schema 2020-12 (the 3.1 dialect) in Ajv's strict mode. Returns the faults.
 */
function openApiFaults(doc: Json): string[] {
  const faults: string[] = [];
  const ajv = new Ajv2020({ strict: true, validateFormats: false });
  const checkSchema = (where: string, schema: unknown) => {
    try {
      ajv.compile(schema as object);
    } catch (err) {
      faults.push(`${where}: schema does not compile: ${(err as Error).message}`);
    }
  };
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) {
    faults.push(`openapi is ${JSON.stringify(doc.openapi)}, not 3.1.x`);
  }
  const info = doc.info as Json | undefined;
  if (typeof info?.title !== 'string' || typeof info?.version !== 'string') {
    faults.push('info needs a string title and version');
  }
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    if (!path.startsWith('/')) faults.push(`${path}: does not start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item) as [string, Json][]) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.includes(method)) {
        faults.push(`${where}: unknown method`);
        continue;
      }
      const responses = op.responses as Record<string, Json> | undefined;
      if (!responses || Object.keys(responses).length === 0) faults.push(`${where}: no responses`);
      for (const [code, response] of Object.entries(responses ?? {})) {
        if (typeof response.description !== 'string') {
          faults.push(`${where} ${code}: response without description`);
        }
      }
      const params = (op.parameters ?? []) as Json[];
      for (const p of params) {
        if (
          typeof p.name !== 'string' ||
          !['query', 'header', 'path', 'cookie'].includes(String(p.in))
        ) {
          faults.push(`${where}: parameter ${JSON.stringify(p)} needs a name and a valid in`);
        }
        if (p.in === 'path' && p.required !== true)
          faults.push(`${where}: path parameter ${p.name} not required`);
        checkSchema(`${where} parameter ${p.name}`, p.schema);
      }
      const inPath = params.filter((p) => p.in === 'path').map((p) => p.name);
      // A route without a params schema lists none; with one, the two must agree.
      if (inPath.length > 0 && [...inPath].sort().join() !== [...templated].sort().join()) {
        faults.push(`${where}: path parameters ${inPath} do not match the template ${templated}`);
      }
      const body = op.requestBody as Json | undefined;
      if (body) {
        const content = (body.content ?? {}) as Record<string, Json>;
        if (Object.keys(content).length === 0) faults.push(`${where}: requestBody without content`);
        for (const [type, media] of Object.entries(content)) {
          if (!/^[\w.+-]+\/[\w.+*-]+$/.test(type))
            faults.push(`${where}: ${type} is not a media type`);
          checkSchema(`${where} body ${type}`, media.schema);
        }
      }
    }
  }
  return faults;
}

describe('GET /openapi.json', () => {
  it("lists a route's schemas: path and query parameters, and the JSON body as sent", async () => {
    app = build();
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    const doc = res.json();
    expect(doc.info).toEqual({ title: 'poc-test', version: '1.2.3' });
    const op = doc.paths['/shops/{shop}/payments'].post;
    expect(op.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: paymentBody } },
    });
    expect(op.parameters).toEqual(
      expect.arrayContaining([
        {
          in: 'path',
          name: 'shop',
          required: true,
          schema: { type: 'integer', minimum: 1, maximum: 1000 },
        },
        {
          in: 'query',
          name: 'limit',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        },
      ]),
    );
  });

  it("lists routes without schemas, routes in plugins, and the shared server's own", async () => {
    app = build();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/health',
      '/metrics',
      '/no-schema/{name}',
      '/plugin/inside',
      '/shops/{shop}/payments',
    ]);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    app = build();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(openApiFaults(doc)).toEqual([]);
  });

  it('the validity check finds the faults it looks for', () => {
    const faults = openApiFaults({
      openapi: '3.0.3',
      info: { title: 't' },
      paths: {
        '/a/{id}': {
          get: {
            responses: { 200: {} },
            parameters: [{ in: 'path', name: 'other', schema: { type: 'integr' } }],
          },
        },
      },
    });
    expect(faults).toEqual([
      'openapi is "3.0.3", not 3.1.x',
      'info needs a string title and version',
      'GET /a/{id} 200: response without description',
      'GET /a/{id}: path parameter other not required',
      expect.stringMatching(/^GET \/a\/\{id\} parameter other: schema does not compile/),
      'GET /a/{id}: path parameters other do not match the template id',
    ]);
  });
});
