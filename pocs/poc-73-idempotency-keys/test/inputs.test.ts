import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAYMENT_CENTS } from '../src/payments.ts';
import { createWorld, pay } from './harness.ts';

let world: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  world = await createWorld({ providerPort: 3183 });
});
afterAll(() => world?.close());

const CONTROL = 'body/orderId must not contain control characters (U+0000-U+001F, U+007F-U+009F)';

describe('no input to POST /payments gets a 5xx', () => {
  it.each([
    ['NUL in orderId', { orderId: 'order\u0000x', amountCents: 100 }, CONTROL],
    ['a newline in orderId', { orderId: 'order\nx', amountCents: 100 }, CONTROL],
    [
      'an orderId over 100 chars',
      { orderId: 'o'.repeat(101), amountCents: 100 },
      'body/orderId must NOT have more than 100 characters',
    ],
    [
      'an unknown field',
      { orderId: 'o', amountCents: 100, currency: 'EUR' },
      "body must NOT have additional property 'currency'",
    ],
    [
      'amountCents as a string',
      { orderId: 'o', amountCents: '100' },
      'body/amountCents must be integer',
    ],
    [
      'amountCents as true',
      { orderId: 'o', amountCents: true },
      'body/amountCents must be integer',
    ],
    ['amountCents as 1.5', { orderId: 'o', amountCents: 1.5 }, 'body/amountCents must be integer'],
    [
      'amountCents over the maximum',
      { orderId: 'o', amountCents: MAX_PAYMENT_CENTS + 1 },
      'body/amountCents must be <= 1000000',
    ],
    [
      'amountCents past int4',
      { orderId: 'o', amountCents: 2 ** 53 },
      'body/amountCents must be <= 1000000',
    ],
    ['orderId as a number', { orderId: 12, amountCents: 100 }, 'body/orderId must be string'],
    [
      'description with NUL',
      { orderId: 'o', amountCents: 100, description: '\u0000' },
      'body/description must not contain control characters (U+0000-U+001F, U+007F-U+009F)',
    ],
  ])('%s → 400 naming the field; nothing charged or stored', async (_name, body, detail) => {
    const [charges, payments] = [await world.charges(), await world.payments()];
    const res = await world.app.inject(
      pay(body, { 'idempotency-key': `k-in-${_name.replaceAll(' ', '-')}` }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toEqual({
      type: 'about:blank',
      title: 'invalid request',
      status: 400,
      detail,
    });
    expect(await world.charges()).toBe(charges);
    expect(await world.payments()).toBe(payments);
  });

  it('a text/plain body → 415 naming application/json', async () => {
    const res = await world.app.inject({
      ...pay({}, { 'idempotency-key': 'k-in-plain' }),
      headers: {
        'content-type': 'text/plain',
        'x-api-key': 'shop_a',
        'idempotency-key': 'k-in-plain',
      },
      payload: 'amountCents=100',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({
      type: 'about:blank',
      title: "unsupported content-type 'text/plain': send application/json",
      status: 415,
      code: 'unsupported_media_type',
    });
  });

  it('malformed JSON → 400 invalid_json', async () => {
    const res = await world.app.inject({
      ...pay({}, { 'idempotency-key': 'k-in-json' }),
      payload: '{"orderId":"o","amountCents":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'invalid_json' });
  });

  it.each([
    ['a NUL orderId', { payload: JSON.stringify({ orderId: 'o\u0000', amountCents: 300 }) }],
    ['text/plain', { payload: '{}', contentType: 'text/plain' }],
    ['malformed JSON', { payload: '{"orderId":' }],
  ] as [string, { payload: string; contentType?: string }][])(
    'a rejected %s leaves the key free: the corrected retry with that key charges once',
    async (name, bad) => {
      const key = `k-in-retry-${name.replaceAll(' ', '-')}`;
      const rejected = await world.app.inject({
        ...pay({}, { 'idempotency-key': key }),
        headers: {
          'content-type': bad.contentType ?? 'application/json',
          'x-api-key': 'shop_a',
          'idempotency-key': key,
        },
        payload: bad.payload,
      });
      expect(rejected.statusCode).toBeGreaterThanOrEqual(400);
      expect(rejected.statusCode).toBeLessThan(500);
      const before = await world.charges();
      const fixed = await world.app.inject(
        pay({ orderId: `order-${name}`, amountCents: 300 }, { 'idempotency-key': key }),
      );
      expect(fixed.statusCode).toBe(201);
      expect(fixed.headers['idempotent-replayed']).toBeUndefined();
      expect(await world.charges()).toBe(before + 1);
    },
  );
});

describe('GET /openapi.json', () => {
  it('lists POST /payments with its body schema, bounds and pattern included', async () => {
    const res = await world.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const op = res.json().paths['/payments'].post;
    const schema = op.requestBody.content['application/json'].schema;
    expect(schema).toMatchObject({
      additionalProperties: false,
      required: ['amountCents', 'orderId'],
      properties: {
        amountCents: { type: 'integer', minimum: 1, maximum: MAX_PAYMENT_CENTS },
        orderId: { type: 'string', minLength: 1, maxLength: 100 },
      },
    });
    expect(schema.properties.orderId.pattern).toBe('^[^\\u0000-\\u001F\\u007F-\\u009F]*$');
  });
});
