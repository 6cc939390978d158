import { type BrokerLinks, createKafka, proxyBrokerLinks } from '@pocs/kafka';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { waitFor } from '@pocs/shared/wait';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { type Copier, createCopier, type FatalKind } from '../src/copier.ts';
import { clientRetry } from '../src/kafka.ts';
import { createTopics, deleteRunArtifacts, runId, seedInput } from '../src/topics.ts';
import { brokers, LINK_PROXY_FIRST_PORT } from './services.ts';

// The at-least-once copier reaches Kafka only through toxiproxy (one proxy per broker, this
// test's own) while input keeps arriving; the cut makes every broker unreachable for it
// alone. Its idempotent producer retries forever and its offset commit for ~25 s: before
// the deadline, a send caught by the cut never returned and stop() waited on it for good.
const id = runId();
const DEADLINE_MS = 1_000;
const config = loadConfig({
  KAFKA_BROKERS: brokers,
  COPY_MODE: 'at-least-once',
  INPUT_TOPIC: `poc49.outage.${id}.in`,
  OUTPUT_TOPIC: `poc49.outage.${id}.out`,
  GROUP_ID: `poc49-outage-${id}`,
  TX_DEADLINE_MS: String(DEADLINE_MS),
  AUTO_COMMIT_INTERVAL_MS: '300',
  LOG_LEVEL: 'silent',
});
const direct = createKafka({ brokers, clientId: 'poc49-outage-test' });
let admin: Admin;
let links: BrokerLinks;
let copier: Copier;
const fatal: { kind: FatalKind; at: number }[] = [];
let feeding = true;
let feeder: Promise<void> | undefined;

beforeAll(async () => {
  admin = direct.admin();
  await admin.connect();
  await createTopics(admin, [
    { topic: config.INPUT_TOPIC, numPartitions: 2 },
    { topic: config.OUTPUT_TOPIC, numPartitions: 2 },
  ]);
  links = await proxyBrokerLinks({
    brokers,
    name: `poc49-outage-${id}`,
    firstPort: LINK_PROXY_FIRST_PORT,
  });
  copier = createCopier({
    config,
    kafka: createKafka({
      brokers,
      clientId: 'poc49-outage-copier',
      retry: clientRetry,
      socketFactory: links.socketFactory,
    }),
    logger: silentLogger,
    registry: createRegistry(),
    onFatal: (kind) => fatal.push({ kind, at: Date.now() }),
  });
  let next = 0;
  feeder = (async () => {
    while (feeding) {
      await seedInput(direct, {
        topic: config.INPUT_TOPIC,
        messages: 50,
        partitions: 2,
        firstIndex: next,
      });
      next += 50;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await copier.start();
}, 60_000);

afterAll(async () => {
  feeding = false;
  await feeder?.catch(() => {});
  await links?.setEnabled(true).catch(() => {});
  await deleteRunArtifacts(admin, {
    topics: [config.INPUT_TOPIC, config.OUTPUT_TOPIC],
    groups: [config.GROUP_ID],
  });
  await admin.disconnect();
  await links?.delete();
}, 60_000);

describe('at-least-once copier cut off from Kafka mid-copy', () => {
  it('copies while the link is up', async () => {
    await waitFor(() => copier.stats().sent >= 200, {
      timeoutMs: 15_000,
      description: '200 messages copied',
    });
    expect(fatal).toEqual([]);
  });

  it('link cut: it gives up within the deadline (fatal, so the supervisor restarts it) and stops promptly', async () => {
    const cutAt = Date.now();
    await links.setEnabled(false);
    await waitFor(() => fatal.length > 0, {
      timeoutMs: 10_000,
      intervalMs: 50,
      description: 'the copier to give up',
    });
    const gaveUpMs = fatal[0]!.at - cutAt;
    const stopStarted = Date.now();
    await copier.stop();
    const stopMs = Date.now() - stopStarted;
    expect(fatal.map((f) => f.kind)).toEqual(['failed']);
    expect(copier.stats().state).toBe('failed');
    // Deadline + one commit interval + one deadline for the commit, with room for load.
    expect(gaveUpMs).toBeLessThanOrEqual(2 * DEADLINE_MS + 300 + 2_000);
    // The chunk in hand (already failed), then two disconnects of at most one deadline each.
    expect(stopMs).toBeLessThanOrEqual(2 * DEADLINE_MS + 1_000);
  }, 20_000);
});
