import { type BrokerLinks, parseBrokers, proxyBrokerLinks } from '@pocs/kafka';
import { waitFor } from '@pocs/shared/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { type Run, startRun } from '../src/experiments/run.ts';

// The supervisor reaches Kafka only through toxiproxy (one proxy per broker, this test's own,
// listening on 27470, 27471, …); disabling them makes every broker unreachable for it alone.
// Before the deadline, POST /produce waited on kafkajs' retries for every 500-message chunk.
const TIMEOUT_MS = 1_000;
let links: BrokerLinks;
let run: Run;

async function produce(count: number) {
  const started = performance.now();
  const res = await run.built.app.inject({ method: 'POST', url: '/produce', payload: { count } });
  return { res, ms: performance.now() - started };
}

beforeAll(async () => {
  links = await proxyBrokerLinks({
    brokers: parseBrokers(loadConfig(process.env).KAFKA_BROKERS),
    name: `poc47-produce-${process.pid}`,
    firstPort: 27_470,
  });
  run = await startRun(
    { PARTITIONS: '2', PRODUCE_TIMEOUT_MS: String(TIMEOUT_MS), LOG_LEVEL: 'silent' },
    { kafkaSocketFactory: links.socketFactory },
  );
}, 60_000);

afterAll(async () => {
  await links?.setEnabled(true).catch(() => {});
  await run?.close();
  await links?.delete();
}, 60_000);

describe('POST /produce while the brokers are unreachable', () => {
  it('link up: 202', async () => {
    expect((await produce(10)).res.statusCode).toBe(202);
  });

  it('link cut: 503 with Retry-After within 2× PRODUCE_TIMEOUT_MS', async () => {
    await links.setEnabled(false);
    const { res, ms } = await produce(2_000);
    expect({ status: res.statusCode, retryAfter: res.headers['retry-after'] }).toEqual({
      status: 503,
      retryAfter: '1',
    });
    expect(ms).toBeLessThanOrEqual(2 * TIMEOUT_MS);
  }, 15_000);

  it('link back: 202 again within 10 s, by itself', async () => {
    await links.setEnabled(true);
    await waitFor(async () => (await produce(10)).res.statusCode === 202, {
      timeoutMs: 10_000,
      intervalMs: 200,
      description: 'POST /produce 202 after the link came back',
    });
  }, 15_000);
});
