import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, pay } from './harness.ts';

let world: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  world = await createWorld({ providerPort: 3183 });
});
afterAll(() => world?.close());

describe('P3 same key, different body', () => {
  it('answers 422 and charges nothing more', async () => {
    const first = await world.app.inject(
      pay({ orderId: 'order-3', amountCents: 700 }, { 'idempotency-key': 'k-p3' }),
    );
    expect(first.statusCode).toBe(201);
    const [chargesBefore, paymentsBefore] = [await world.charges(), await world.payments()];
    const reused = await world.app.inject(
      pay({ orderId: 'order-3', amountCents: 7000 }, { 'idempotency-key': 'k-p3' }),
    );
    expect(reused.statusCode).toBe(422);
    expect(reused.headers['content-type']).toContain('application/problem+json');
    expect(reused.json()).toMatchObject({ code: 'idempotency_key_reused' });
    expect(reused.json().title).toMatch(/different request body: use a new key/);
    expect(await world.charges()).toBe(chargesBefore);
    expect(await world.payments()).toBe(paymentsBefore);
  });
});

describe('P4 bad Idempotency-Key header', () => {
  const body = { orderId: 'order-4', amountCents: 100 };
  it.each([
    ['missing', {}, /missing idempotency-key/],
    ['empty', { 'idempotency-key': '' }, /empty idempotency-key/],
    [
      'longer than 255',
      { 'idempotency-key': 'k'.repeat(256) },
      /256 characters long: send at most 255/,
    ],
    ['sent twice', { 'idempotency-key': ['k-a', 'k-b'] }, /sent 2 times: send it exactly once/],
  ] as const)(
    '%s → 400 problem+json that says what to fix, no charge',
    async (_name, headers, message) => {
      const before = await world.charges();
      const res = await world.app.inject(pay(body, headers as Record<string, string | string[]>));
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 400, code: 'invalid_idempotency_key' });
      expect(res.json().title).toMatch(message);
      expect(await world.charges()).toBe(before);
    },
  );

  it("accepts exactly 255 characters and the draft's quoted form", async () => {
    const long = await world.app.inject(
      pay({ orderId: 'order-255', amountCents: 100 }, { 'idempotency-key': 'k'.repeat(255) }),
    );
    expect(long.statusCode).toBe(201);
    const quoted = await world.app.inject(
      pay({ orderId: 'order-q', amountCents: 100 }, { 'idempotency-key': '"8e03978e-40d5"' }),
    );
    expect(quoted.statusCode).toBe(201);
  });
});

describe('P5 validation failures are not stored', () => {
  it('a 400 for a bad body leaves the key free; the corrected retry charges once', async () => {
    const bad = await world.app.inject(
      pay({ orderId: 'order-5', amountCents: -5 }, { 'idempotency-key': 'k-p5' }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/amountCents/);
    const before = await world.charges();
    const fixed = await world.app.inject(
      pay({ orderId: 'order-5', amountCents: 500 }, { 'idempotency-key': 'k-p5' }),
    );
    expect(fixed.statusCode).toBe(201);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    expect(await world.charges()).toBe(before + 1);
  });
});

describe('P8 keys are scoped per client', () => {
  it('the same key from two clients runs twice, each replaying only its own answer', async () => {
    const body = { orderId: 'order-8', amountCents: 800 };
    const before = await world.charges();
    const a = await world.app.inject(
      pay(body, { 'idempotency-key': 'k-p8', 'x-api-key': 'shop_a' }),
    );
    const b = await world.app.inject(
      pay(body, { 'idempotency-key': 'k-p8', 'x-api-key': 'shop_b' }),
    );
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(a.json().paymentId).not.toBe(b.json().paymentId);
    expect(await world.charges()).toBe(before + 2);
    const aAgain = await world.app.inject(
      pay(body, { 'idempotency-key': 'k-p8', 'x-api-key': 'shop_a' }),
    );
    expect(aAgain.body).toBe(a.body);
    // A different body under client b's key is b's 422, whatever client a did with it.
    const bOther = await world.app.inject(
      pay({ ...body, amountCents: 1 }, { 'idempotency-key': 'k-p8', 'x-api-key': 'shop_b' }),
    );
    expect(bOther.statusCode).toBe(422);
    expect(await world.charges()).toBe(before + 2);
  });

  it('a request without an API key is 401 with the header to send', async () => {
    const res = await world.app.inject({
      ...pay({ orderId: 'o', amountCents: 1 }, { 'idempotency-key': 'k' }),
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().title).toMatch(/x-api-key/);
  });
});
