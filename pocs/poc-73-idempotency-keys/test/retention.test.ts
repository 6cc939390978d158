import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, pay } from './harness.ts';

let nowMs = Date.UTC(2026, 0, 1);
let world: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  world = await createWorld({ providerPort: 3183, deps: { now: () => nowMs } });
});
afterAll(() => world?.close());

describe('P7 retention', () => {
  it('keeps a key for 24 h; one ms later the same key is a new request', async () => {
    const body = { orderId: 'order-7', amountCents: 900 };
    const first = await world.app.inject(pay(body, { 'idempotency-key': 'k-p7' }));
    expect(first.statusCode).toBe(201);

    nowMs += world.config.IDEMPOTENCY_RETENTION_MS - 1; // still inside the window
    const inside = await world.app.inject(pay(body, { 'idempotency-key': 'k-p7' }));
    expect(inside.headers['idempotent-replayed']).toBe('true');
    const reusedInside = await world.app.inject(
      pay({ ...body, amountCents: 1 }, { 'idempotency-key': 'k-p7' }),
    );
    expect(reusedInside.statusCode).toBe(422);
    expect(await world.charges()).toBe(1);

    nowMs += 1; // exactly at expiry: the key is forgotten
    const after = await world.app.inject(
      pay({ ...body, amountCents: 1 }, { 'idempotency-key': 'k-p7' }),
    );
    expect(after.statusCode).toBe(201);
    expect(after.headers['idempotent-replayed']).toBeUndefined();
    expect(after.json().paymentId).not.toBe(first.json().paymentId);
    expect(await world.charges()).toBe(2);
  });
});
