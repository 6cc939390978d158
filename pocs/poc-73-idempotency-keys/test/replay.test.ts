import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_LIMIT_CENTS } from '../src/provider/app.ts';
import { createWorld, pay } from './harness.ts';

let world: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  world = await createWorld({ providerPort: 3183 });
});
afterAll(() => world?.close());

describe('P1 replay', () => {
  it('charges once for 100 identical requests and answers each with the same status and body', async () => {
    const request = pay({ orderId: 'order-1', amountCents: 1999 }, { 'idempotency-key': 'k-p1' });
    const first = await world.app.inject(request);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const replays = [];
    for (let i = 0; i < 99; i++) replays.push(await world.app.inject(request));
    expect(replays.map((r) => r.statusCode)).toEqual(Array(99).fill(201));
    expect(new Set(replays.map((r) => r.body))).toEqual(new Set([first.body]));
    expect(replays.every((r) => r.headers['idempotent-replayed'] === 'true')).toBe(true);
    expect(await world.charges()).toBe(1);
    expect(await world.payments()).toBe(1);
  });

  it('stores a failure too: a declined card is replayed as the same 402, not retried', async () => {
    const request = pay(
      { orderId: 'order-big', amountCents: CARD_LIMIT_CENTS + 1 },
      { 'idempotency-key': 'k-declined' },
    );
    const first = await world.app.inject(request);
    expect(first.statusCode).toBe(402);
    expect(first.headers['content-type']).toContain('application/problem+json');
    const again = await world.app.inject(request);
    expect(again.statusCode).toBe(402);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('without keys (the twin), the same request 100 times charges 100 times', async () => {
    const naive = await createWorld({
      providerPort: 3583,
      env: { BREAK_NO_IDEMPOTENCY: '1' },
    });
    try {
      const request = pay({ orderId: 'order-1', amountCents: 1999 });
      for (let i = 0; i < 100; i++) expect((await naive.app.inject(request)).statusCode).toBe(201);
      expect(await naive.charges()).toBe(100);
    } finally {
      await naive.close();
    }
  });
});
