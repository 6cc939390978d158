import { type BrokerLinks, proxyBrokerLinks, uniqueName } from '@pocs/kafka';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { waitFor } from '@pocs/shared/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { brokers, LINK_PROXY_FIRST_PORT } from './services.ts';

// The exporter reaches Kafka only through toxiproxy (one proxy per broker, this test's own);
// disabling the proxies makes every broker unreachable for it alone. Before the deadline,
// /health and /lag waited on kafkajs' retries (minutes against a broker that never answers).
const DEADLINE_MS = 1_000;
const config = loadConfig({
  KAFKA_BROKERS: brokers,
  LAG_GROUP_PATTERN: `^${uniqueName('poc50-none')}$`,
  LAG_CACHE_MS: '0',
  KAFKA_ADMIN_DEADLINE_MS: String(DEADLINE_MS),
  LOG_LEVEL: 'silent',
});
let links: BrokerLinks;
let built: Awaited<ReturnType<typeof buildApp>>;

async function timed(url: string) {
  const started = performance.now();
  const res = await built.app.inject({ method: 'GET', url });
  return { res, ms: performance.now() - started };
}

beforeAll(async () => {
  links = await proxyBrokerLinks({
    brokers,
    name: uniqueName('poc50-unreachable'),
    firstPort: LINK_PROXY_FIRST_PORT,
  });
  built = await buildApp(config, {
    logger: silentLogger,
    registry: createRegistry(),
    kafkaSocketFactory: links.socketFactory,
  });
}, 30_000);

afterAll(async () => {
  await links?.setEnabled(true).catch(() => {});
  await built?.app.close();
  await links?.delete();
}, 30_000);

describe('brokers unreachable: bounded answers, then recovery', () => {
  it('link up: /health 200 and /lag 200', async () => {
    expect((await timed('/health')).res.statusCode).toBe(200);
    expect((await timed('/lag')).res.statusCode).toBe(200);
  });

  it('link cut: /health and /lag answer 503 within 2× the deadline, /metrics still 200', async () => {
    await links.setEnabled(false);
    const health = await timed('/health');
    const lag = await timed('/lag');
    const metrics = await timed('/metrics');
    expect({
      health: health.res.statusCode,
      lag: lag.res.statusCode,
      lagRetryAfter: lag.res.headers['retry-after'],
      metrics: metrics.res.statusCode,
    }).toEqual({ health: 503, lag: 503, lagRetryAfter: '1', metrics: 200 });
    expect(health.ms).toBeLessThanOrEqual(2 * DEADLINE_MS);
    expect(lag.ms).toBeLessThanOrEqual(2 * DEADLINE_MS);
    expect(metrics.ms).toBeLessThanOrEqual(2 * DEADLINE_MS);
  }, 15_000);

  it('link back: /health 200 again within 10 s, by itself', async () => {
    await links.setEnabled(true);
    await waitFor(async () => (await timed('/health')).res.statusCode === 200, {
      timeoutMs: 10_000,
      intervalMs: 200,
      description: '/health 200 after the link came back',
    });
    expect((await timed('/lag')).res.statusCode).toBe(200);
  }, 15_000);
});
