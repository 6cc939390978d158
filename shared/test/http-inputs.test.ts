import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_CONTROL_CHARACTERS } from '../src/http-inputs.ts';
import { silentLogger } from '../src/log.ts';
import { createRegistry } from '../src/metrics.ts';
import { createServer } from '../src/server.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function build() {
  const server = createServer({
    logger: silentLogger,
    registry: createRegistry({ defaultMetrics: false }),
  });
  server.post(
    '/orders/:shop',
    {
      schema: {
        params: {
          type: 'object',
          required: ['shop'],
          properties: { shop: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
        querystring: {
          type: 'object',
          properties: { dryRun: { type: 'boolean', default: false } },
        },
        body: {
          type: 'object',
          required: ['amountCents'],
          additionalProperties: false,
          properties: {
            amountCents: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            note: { type: 'string', maxLength: 20, pattern: NO_CONTROL_CHARACTERS },
          },
        },
      },
    },
    async (request) => ({ params: request.params, query: request.query, body: request.body }),
  );
  // No additionalProperties: false, so extra keys are allowed, and kept as sent.
  server.post(
    '/open',
    { schema: { body: { type: 'object', properties: { n: { type: 'integer' } } } } },
    async (request) => request.body,
  );
  return server;
}

const json = (url: string, payload: string, contentType = 'application/json') => ({
  method: 'POST' as const,
  url,
  headers: { 'content-type': contentType },
  payload,
});

describe('request bodies are strict', () => {
  it('path and query are text and still coerce; a valid body passes unchanged', async () => {
    app = build();
    const res = await app.inject(json('/orders/7?dryRun=true', '{"amountCents":100}'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      params: { shop: 7 },
      query: { dryRun: true },
      body: { amountCents: 100 },
    });
  });

  it.each([
    ['a numeric string', '{"amountCents":"100"}', 'body/amountCents must be integer'],
    ['a boolean', '{"amountCents":true}', 'body/amountCents must be integer'],
    ['a number for a string', '{"amountCents":1,"note":12}', 'body/note must be string'],
    ['an array of one number', '{"amountCents":[100]}', 'body/amountCents must be integer'],
    ['null', '{"amountCents":null}', 'body/amountCents must be integer'],
  ])('%s is a 400 naming the field, never coerced', async (_name, payload, detail) => {
    app = build();
    const res = await app.inject(json('/orders/7', payload));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toEqual({
      type: 'about:blank',
      title: 'invalid request',
      status: 400,
      detail,
    });
  });

  it.each([
    ['NUL', '\u0000'],
    ['a newline', '\n'],
    ['DEL', '\u007f'],
    ['a C1 control', '\u0085'],
  ])('text with %s is a 400 that says control characters are not allowed', async (_n, ch) => {
    app = build();
    const res = await app.inject(
      json('/orders/7', JSON.stringify({ amountCents: 1, note: `a${ch}b` })),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe(
      'body/note must not contain control characters (U+0000-U+001F, U+007F-U+009F)',
    );
    const fine = await app.inject(
      json('/orders/7', JSON.stringify({ amountCents: 1, note: 'café "ok" ✓' })),
    );
    expect(fine.statusCode).toBe(200);
  });

  it('an unknown property is a 400 that names it where the schema says additionalProperties: false', async () => {
    app = build();
    const res = await app.inject(json('/orders/7', '{"amountCents":100,"currency":"EUR"}'));
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe("body must NOT have additional property 'currency'");
    const open = await app.inject(json('/open', '{"n":1,"extra":true}'));
    expect(open.statusCode).toBe(200);
    expect(open.json()).toEqual({ n: 1, extra: true });
  });
});

describe('bodies that never reach validation get a 4xx that says what to send', () => {
  it.each([
    ['text/plain', "unsupported content-type 'text/plain': send application/json"],
    [
      'application/x-www-form-urlencoded',
      "unsupported content-type 'application/x-www-form-urlencoded': send application/json",
    ],
    ['not a media type', "unsupported content-type 'not a media type': send application/json"],
  ])('%s is 415', async (contentType, title) => {
    app = build();
    const res = await app.inject(json('/orders/7', 'amountCents=100', contentType));
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toEqual({
      type: 'about:blank',
      title,
      status: 415,
      code: 'unsupported_media_type',
    });
  });

  it('a body without a content-type is 415', async () => {
    app = build();
    const res = await app.inject({ method: 'POST', url: '/orders/7', payload: 'hello' });
    expect(res.statusCode).toBe(415);
    expect(res.json().title).toBe('a body needs a content-type: send application/json');
  });

  it.each([
    ['malformed JSON', '{"amountCents":', 400, 'invalid_json'],
    ['an empty JSON body', '', 400, 'invalid_json'],
    ['a __proto__ key', '{"amountCents":1,"__proto__":{"admin":true}}', 400, 'invalid_json'],
    ['JSON null', 'null', 400, undefined],
    [
      'a body over the 1 MiB limit',
      JSON.stringify({ note: 'x'.repeat(1_100_000) }),
      413,
      'body_too_large',
    ],
  ])('%s is a %i problem document, never a 5xx', async (_name, payload, status, code) => {
    app = build();
    const res = await app.inject(json('/orders/7', payload));
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ type: 'about:blank', status, ...(code ? { code } : {}) });
    expect(res.json().title.length).toBeGreaterThan(10);
  });

  it('names the byte limit in the 413', async () => {
    app = build();
    const res = await app.inject(
      json('/orders/7', JSON.stringify({ note: 'x'.repeat(1_100_000) })),
    );
    expect(res.json().title).toBe('the body is larger than the 1048576 byte limit');
  });
});
