import { type BrokerLinks, parseBrokers, proxyBrokerLinks } from '@pocs/kafka';
import { waitFor } from '@pocs/shared/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINK_PROXY_FIRST_PORT, startTestApp, type TestApp, testConfig } from './harness.ts';

// The service reaches Kafka only through toxiproxy (one proxy per broker, this test's own);
// disabling the proxies makes every broker unreachable for it alone. Before the deadline,
// GET /topic waited on kafkajs' admin retries. No consumer here: this is about the endpoint.
const TIMEOUT_MS = 1_000;
const config = testConfig({ CONSUMER_ENABLED: '0', ADMIN_TIMEOUT_MS: String(TIMEOUT_MS) });
let links: BrokerLinks;
let t: TestApp;

async function topic() {
  const started = performance.now();
  const res = await t.app.inject({ method: 'GET', url: '/topic' });
  return { res, ms: performance.now() - started };
}

beforeAll(async () => {
  links = await proxyBrokerLinks({
    brokers: parseBrokers(config.KAFKA_BROKERS),
    name: `poc46-topic-${config.CONSUMER_GROUP}`,
    firstPort: LINK_PROXY_FIRST_PORT,
  });
  t = await startTestApp(config, { kafkaSocketFactory: links.socketFactory });
}, 60_000);

afterAll(async () => {
  await links?.setEnabled(true).catch(() => {});
  await t?.app.close();
  await links?.delete();
}, 60_000);

describe('GET /topic while the brokers are unreachable', () => {
  it('link up: 200 with the offsets', async () => {
    expect((await topic()).res.statusCode).toBe(200);
  });

  it('link cut: 503 with Retry-After within 2× ADMIN_TIMEOUT_MS', async () => {
    await links.setEnabled(false);
    const { res, ms } = await topic();
    expect({ status: res.statusCode, retryAfter: res.headers['retry-after'] }).toEqual({
      status: 503,
      retryAfter: '1',
    });
    expect(ms).toBeLessThanOrEqual(2 * TIMEOUT_MS);
  }, 15_000);

  it('link back: 200 again within 10 s, by itself', async () => {
    await links.setEnabled(true);
    await waitFor(async () => (await topic()).res.statusCode === 200, {
      timeoutMs: 10_000,
      intervalMs: 200,
      description: 'GET /topic 200 after the link came back',
    });
  }, 15_000);
});
