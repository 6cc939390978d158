import { randomUUID } from 'node:crypto';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { createToxiproxy, type ProxyHandle, viaProxy } from '@pocs/shared/toxiproxy';
import { waitFor } from '@pocs/shared/wait';
import amqp from 'amqplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { deleteKeys } from '../src/experiments/dedup.ts';
import { services } from './services.ts';

// The service's links to RabbitMQ and Redis go through toxiproxy; the shared servers are
// never restarted. Before the fix a dropped RabbitMQ connection stayed dropped (no consumer,
// every publish a 500, /health 200), and a frozen Redis held /health and every dedup call
// forever. Counts and states only; the one time bound (a frozen Redis answered within 5 s)
// is 5× the 1 s command timeout.
const id = randomUUID().replaceAll('-', '').slice(0, 12);
const toxiproxy = createToxiproxy();
let rabbitLink: ProxyHandle;
let redisLink: ProxyHandle;
let built: Awaited<ReturnType<typeof buildApp>>;
const config = () =>
  loadConfig({
    POSTGRES_URL: services.postgresUrl,
    REDIS_URL: viaProxy(services.redisUrl, redisLink.listen),
    RABBITMQ_URL: viaProxy(services.rabbitmqUrl, rabbitLink.listen),
    DB_SCHEMA: `poc74_drop_${id}`,
    QUEUE: `poc74.drop.${id}`,
    REDIS_KEY_PREFIX: `poc74:drop:${id}:`,
  });

beforeAll(async () => {
  const hostOf = (url: string) => `${new URL(url).hostname}:${new URL(url).port}`;
  rabbitLink = await toxiproxy.createProxy({
    name: `poc74-rabbit-${id}`,
    listen: '127.0.0.1:27474',
    upstream: hostOf(services.rabbitmqUrl),
  });
  redisLink = await toxiproxy.createProxy({
    name: `poc74-redis-${id}`,
    listen: '127.0.0.1:27475',
    upstream: hostOf(services.redisUrl),
  });
  built = await buildApp(config(), { logger: silentLogger, registry: createRegistry() });
});
afterAll(async () => {
  await built?.app.close();
  await rabbitLink?.delete();
  await redisLink?.delete();
  const client = new pg.Client({ connectionString: services.postgresUrl });
  await client.connect();
  await client.query(`drop schema if exists "poc74_drop_${id}" cascade`);
  await client.end();
  const connection = await amqp.connect(services.rabbitmqUrl);
  await (await connection.createChannel()).deleteQueue(`poc74.drop.${id}`);
  await connection.close();
  await deleteKeys(services.redisUrl, `poc74:drop:${id}:`);
});

const health = async () => (await built.app.inject({ method: 'GET', url: '/health' })).statusCode;
const order = (orderId: number) =>
  built.app.inject({ method: 'POST', url: '/orders', payload: { orderId, quantity: 1 } });
/** POST orders one by one; the ids the service acknowledged (202). */
async function publish(ids: number[]): Promise<{ accepted: number[]; statuses: number[] }> {
  const accepted: number[] = [];
  const statuses: number[] = [];
  for (const orderId of ids) {
    const res = await order(orderId);
    statuses.push(res.statusCode);
    if (res.statusCode === 202) accepted.push(orderId);
  }
  return { accepted, statuses };
}
const shippedOnce = async (ids: number[]) => {
  for (const orderId of ids) {
    const res = await built.app.inject({ method: 'GET', url: `/orders/${orderId}/shipments` });
    if (res.json().shipments !== 1) return false;
  }
  return true;
};

describe('the order service while its RabbitMQ link drops', () => {
  it('answers 503 while the link is down, reconnects by itself, and loses no acknowledged order', async () => {
    const first = await publish([1, 2, 3, 4, 5]);
    expect(first.accepted).toEqual([1, 2, 3, 4, 5]);
    await waitFor(() => shippedOnce(first.accepted), {
      timeoutMs: 10_000,
      description: 'orders 1–5 shipped',
    });

    // Cut every connection and refuse new ones, as a dead broker host does.
    await rabbitLink.setEnabled(false);
    await waitFor(async () => (await health()) === 503, {
      timeoutMs: 5_000,
      description: '/health to answer 503 with RabbitMQ gone',
    });
    const during = await publish([6, 7, 8]);
    expect(during.statuses).toEqual([503, 503, 503]);
    const res = await order(9);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json().code).toBe('broker_unavailable');

    await rabbitLink.setEnabled(true);
    await waitFor(async () => (await health()) === 200, {
      timeoutMs: 10_000,
      description: '/health to answer 200 once the link is back',
    });
    const after = await publish([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(after.accepted).toHaveLength(10);
    // Consumers are back too: every order the service acknowledged ships, exactly once.
    const acknowledged = [...first.accepted, ...during.accepted, ...after.accepted];
    await waitFor(() => shippedOnce(acknowledged), {
      timeoutMs: 10_000,
      description: 'every acknowledged order shipped once',
    });
    const summary = (await built.app.inject({ method: 'GET', url: '/shipments/summary' })).json();
    expect(summary).toMatchObject({ shipments: acknowledged.length, duplicates: 0 });
    expect(built.rabbit.stats()).toMatchObject({ state: 'open', drops: 1, reconnects: 1 });
  });
});

describe('the order service while Redis stops answering', () => {
  it('/health says 503 within the command timeout instead of hanging, and 200 once Redis answers', async () => {
    // A `timeout` toxic: Redis's answers never come back, the socket stays open (half-open).
    await redisLink.addToxic({ name: 'frozen', type: 'timeout', attributes: { timeout: 0 } });
    const started = performance.now();
    const status = await Promise.race([
      health(),
      new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), 5_000)),
    ]);
    const frozenMs = performance.now() - started;
    await redisLink.removeToxic('frozen');
    expect(status).toBe(503);
    expect(frozenMs).toBeLessThan(5_000);
    await waitFor(async () => (await health()) === 200, {
      timeoutMs: 10_000,
      description: '/health to answer 200 once Redis answers again',
    });
    const res = await order(20);
    expect(res.statusCode).toBe(202);
    await waitFor(() => shippedOnce([20]), { timeoutMs: 10_000, description: 'order 20 shipped' });
  });
});
