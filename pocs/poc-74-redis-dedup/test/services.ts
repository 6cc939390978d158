import { loadConfig } from '../src/config.ts';

/** The real services the tests use: the config defaults, or what the environment says. */
const config = loadConfig();
export const services = {
  postgresUrl: config.POSTGRES_URL,
  redisUrl: config.REDIS_URL,
  rabbitmqUrl: config.RABBITMQ_URL,
};

/** Port of the private, restartable redis-server the tests start (never the shared one). */
export const PRIVATE_REDIS_PORT = 6479;
