import { createToxiproxy, type ProxyHandle } from '@pocs/shared/toxiproxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, pay } from './harness.ts';

// 600 ms of real network latency on the provider's answers keeps the first request in
// flight while the other 49 arrive, so "the rest get 409" is deterministic.
const toxiproxy = createToxiproxy();
let proxy: ProxyHandle;
beforeAll(async () => {
  proxy = await toxiproxy.createProxy({
    name: 'poc73-concurrent',
    listen: '127.0.0.1:27302',
    upstream: '127.0.0.1:3183',
  });
  await proxy.addToxic({ name: 'slow', type: 'latency', attributes: { latency: 600 } });
});
afterAll(() => proxy?.delete());

describe('P2 concurrent requests with one key', () => {
  it('runs one of 50 and answers the other 49 with 409; 1 charge', async () => {
    const world = await createWorld({
      providerPort: 3183,
      providerUrl: 'http://127.0.0.1:27302',
      env: { PROVIDER_TIMEOUT_MS: '5000' },
    });
    try {
      const request = pay({ orderId: 'order-c', amountCents: 500 }, { 'idempotency-key': 'k-c' });
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => world.app.inject(request)),
      );
      const statuses = answers.map((a) => a.statusCode).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(49);
      const conflict = answers.find((a) => a.statusCode === 409)!;
      expect(conflict.headers['content-type']).toContain('application/problem+json');
      expect(conflict.json().title).toMatch(/still in progress/);
      expect(await world.charges()).toBe(1);
      // Once the first has finished, a retry gets its stored answer.
      const retry = await world.app.inject(request);
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect((await world.ledgers()).doubleCharges).toBe(0);
    } finally {
      await world.close();
    }
  });

  it('without keys (the twin), 50 concurrent requests for one order charge 50 times', async () => {
    const world = await createWorld({
      providerPort: 3183,
      providerUrl: 'http://127.0.0.1:27302',
      env: { PROVIDER_TIMEOUT_MS: '5000', BREAK_NO_IDEMPOTENCY: '1' },
    });
    try {
      const request = pay({ orderId: 'order-c', amountCents: 500 });
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => world.app.inject(request)),
      );
      expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(50);
      expect((await world.ledgers()).doubleCharges).toBe(49);
    } finally {
      await world.close();
    }
  });
});
