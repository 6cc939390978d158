import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createServer } from '@pocs/shared/server';
import type { Config } from './config.ts';
import type { CopierStats } from './copier.ts';

/**
 * The copier's HTTP face: /health (503 once fenced or failed), /metrics, and /status with
 * the copy counters. Takes a stats function so tests can build it without Kafka.
 */
export async function buildApp(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry; copierStats: () => CopierStats },
) {
  const app = createServer({
    logger: deps.logger,
    registry: deps.registry,
    health: () => {
      const { state, mode } = deps.copierStats();
      if (state === 'fenced' || state === 'failed') throw new Error(`copier ${state}`);
      return { copier: state, mode };
    },
  });

  app.get('/status', async () => ({
    ...deps.copierStats(),
    pid: process.pid,
    input: config.INPUT_TOPIC,
    output: config.OUTPUT_TOPIC,
    groupId: config.GROUP_ID,
    transactionalId: config.COPY_MODE === 'transactional' ? config.TRANSACTIONAL_ID : null,
    txMaxMessages: config.TX_MAX_MESSAGES,
  }));

  return { app };
}
