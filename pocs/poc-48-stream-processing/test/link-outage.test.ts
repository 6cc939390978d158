import { randomBytes } from 'node:crypto';
import { type BrokerLinks, createKafka, proxyBrokerLinks } from '@pocs/kafka';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { waitFor } from '@pocs/shared/wait';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { committedOffsets, deleteTopics, endOffsets } from '../src/kafka.ts';
import { brokers, LINK_PROXY_FIRST_PORT } from './services.ts';

// The processor reaches Kafka only through toxiproxy (one proxy per broker, this test's own);
// the test's producer and admin talk to the brokers directly. Disabling the proxies cuts the
// processor off mid-stream while events keep arriving; the shared brokers never stop.
const id = randomBytes(3).toString('hex');
const COMMIT_DEADLINE_MS = 2_000;
const config = loadConfig({
  KAFKA_BROKERS: brokers.join(','),
  INPUT_TOPIC: `poc48.link.${id}.events`,
  CHANGELOG_TOPIC: `poc48.link.${id}.changelog`,
  OUTPUT_TOPIC: `poc48.link.${id}.output`,
  APPLICATION_ID: `poc48-link-${id}`,
  TOPIC_PARTITIONS: '2',
  // One window for the whole run: every event stays counted in state, none is emitted or late.
  WINDOW_SIZE_MS: '3600000',
  COMMIT_DEADLINE_MS: String(COMMIT_DEADLINE_MS),
  TRANSACTION_TIMEOUT_MS: '10000',
  RESTART_BACKOFF_MS: '200',
  RESTART_BACKOFF_MAX_MS: '1000',
  SESSION_TIMEOUT_MS: '6000',
  LOG_LEVEL: 'silent',
});
const t0 = 1_700_000_000_000;

let links: BrokerLinks;
let built: Awaited<ReturnType<typeof buildApp>>;
const direct = createKafka({ brokers, clientId: 'poc48-link-test' });
const admin = direct.admin();
let producer: Producer;
let sent = 0;
let producing = true;
let producerLoop: Promise<void> | undefined;

const health = async () => (await built.app.inject({ method: 'GET', url: '/health' })).statusCode;
const countedInState = () => built.processor.windows().reduce((n, w) => n + w.count, 0);

beforeAll(async () => {
  links = await proxyBrokerLinks({
    brokers,
    name: `poc48-link-${id}`,
    firstPort: LINK_PROXY_FIRST_PORT,
  });
  await admin.connect();
  producer = direct.producer();
  await producer.connect();
  built = await buildApp(config, {
    logger: silentLogger,
    registry: createRegistry(),
    kafkaSocketFactory: links.socketFactory,
  });
  // 10 events every 50 ms, 4 keys, until told to stop; each send is acknowledged before
  // it counts as sent.
  producerLoop = (async () => {
    while (producing) {
      const batch = Array.from({ length: 10 }, (_, i) => {
        const n = sent + i;
        const event = { key: `key-${n % 4}`, eventTime: t0 + n, id: `e${n}` };
        return { key: event.key, value: JSON.stringify(event) };
      });
      await producer.send({ topic: config.INPUT_TOPIC, acks: -1, messages: batch });
      sent += batch.length;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
}, 60_000);

afterAll(async () => {
  producing = false;
  await producerLoop?.catch(() => {});
  await links?.setEnabled(true).catch(() => {});
  await built?.app.close();
  await producer?.disconnect();
  await admin.deleteGroups([config.APPLICATION_ID]).catch(() => {});
  await deleteTopics(admin, [config.INPUT_TOPIC, config.CHANGELOG_TOPIC, config.OUTPUT_TOPIC]);
  await admin.disconnect();
  await links?.delete();
}, 60_000);

describe('the link to Kafka is cut mid-stream and comes back', () => {
  const timeline = { cutAt: 0, unhealthyAt: 0, restoredAt: 0, healthyAt: 0, resumedAt: 0 };

  it('processes while the link is up', async () => {
    await waitFor(() => built.processor.stats().processedHere >= 200, {
      timeoutMs: 15_000,
      description: '200 events processed',
    });
    expect(await health()).toBe(200);
  });

  it('link cut: the process stays up and /health answers 503 while no task runs', async () => {
    timeline.cutAt = Date.now();
    await links.setEnabled(false);
    await waitFor(async () => (await health()) === 503, {
      timeoutMs: COMMIT_DEADLINE_MS + 8_000,
      intervalMs: 50,
      description: '/health 503 after the link was cut',
    });
    timeline.unhealthyAt = Date.now();
    // Gone long enough that the cut-off member's session (6 s) has expired by the time the
    // link returns; meanwhile fresh tasks fail to start, and /health keeps saying so.
    const until = timeline.cutAt + 7_000;
    while (Date.now() < until) {
      expect(await health()).toBe(503);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(built.processor.stats().restarts).toBeGreaterThanOrEqual(1);
  }, 20_000);

  it('link back: 200 again and processing resumes within 10 s, by itself', async () => {
    await links.setEnabled(true);
    timeline.restoredAt = Date.now();
    await waitFor(async () => (await health()) === 200, {
      timeoutMs: 10_000,
      intervalMs: 50,
      description: '/health 200 after the link came back',
    });
    timeline.healthyAt = Date.now();
    const before = built.processor.stats().processedHere;
    await waitFor(() => built.processor.stats().processedHere > before, {
      timeoutMs: timeline.restoredAt + 10_000 - Date.now(),
      description: 'new events processed after the link came back',
    });
    timeline.resumedAt = Date.now();
    expect(timeline.resumedAt - timeline.restoredAt).toBeLessThanOrEqual(10_000);
  }, 15_000);

  it('no event lost or counted twice: the state counts every acknowledged event exactly once', async () => {
    producing = false;
    await producerLoop;
    await waitFor(() => built.processor.stats().processed === sent, {
      timeoutMs: 10_000,
      description: `all ${sent} events processed`,
    });
    const end = await endOffsets(admin, config.INPUT_TOPIC);
    await waitFor(
      async () => {
        const committed = await committedOffsets(admin, config.APPLICATION_ID, config.INPUT_TOPIC);
        return [...end].every(([p, high]) => committed.get(p) === high);
      },
      { timeoutMs: 10_000, description: 'every input offset committed' },
    );
    const stats = built.processor.stats();
    expect({
      counted: countedInState(),
      lateDropped: stats.lateDropped,
      poison: stats.poison,
    }).toEqual({ counted: sent, lateDropped: 0, poison: 0 });
  }, 30_000);
});
