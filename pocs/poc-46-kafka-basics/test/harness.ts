import { randomBytes } from 'node:crypto';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { waitFor } from '@pocs/shared/wait';
import { buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { describeLag, totalLag } from '../src/kafka.ts';

/** Unique topic, group and schema per app, so tests never see each other's data. */
export function testConfig(overrides: Record<string, string> = {}): Readonly<Config> {
  const id = randomBytes(4).toString('hex');
  return loadConfig({
    ...process.env,
    TOPIC: `poc46.test.${id}`,
    CONSUMER_GROUP: `poc46-test-${id}`,
    DB_SCHEMA: `poc46_test_${id}`,
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

export type TestApp = Awaited<ReturnType<typeof buildApp>>;

export async function startTestApp(
  config: Readonly<Config>,
  extra: Pick<Parameters<typeof buildApp>[1], 'kafkaSocketFactory'> = {},
): Promise<TestApp> {
  return buildApp(config, {
    logger: silentLogger,
    registry: createRegistry(),
    dropOnClose: true,
    ...extra,
  });
}

/** toxiproxy listeners of the topic-unreachable test, one per broker (27463, 27464, …). */
export const LINK_PROXY_FIRST_PORT = 27463;

/** Wait until the group has committed every record written to the topic (lag 0). */
export async function waitForZeroLag(t: TestApp, config: Readonly<Config>, timeoutMs = 30_000) {
  await waitFor(
    async () => totalLag(await describeLag(t.admin, config.TOPIC, config.CONSUMER_GROUP)) === 0,
    { timeoutMs, intervalMs: 200, description: `consumer lag 0 on ${config.TOPIC}` },
  );
}
