import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { startServer } from '@pocs/shared/server';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const logger = createLogger({ name: 'poc-48', level: config.LOG_LEVEL });
// A failed commit leaves memory ahead of Kafka: the processor throws the task away and
// restores a fresh one from the changelog, in this process, until Kafka answers again.
const { app } = await buildApp(config, { logger, registry: createRegistry({ poc: 'poc-48' }) });
const address = await startServer(app, { host: config.HOST, port: config.PORT });
logger.info(
  {
    guarantee: config.PROCESSING_GUARANTEE,
    changelog: !config.BREAK_NO_CHANGELOG,
    topics: [config.INPUT_TOPIC, config.CHANGELOG_TOPIC, config.OUTPUT_TOPIC],
    try: [`${address}/windows?key=key-01`, `${address}/stats`],
    metrics: `${address}/metrics`,
  },
  `poc-48 listening on ${address}`,
);
