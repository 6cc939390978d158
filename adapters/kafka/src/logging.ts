import type { Logger } from '@pocs/shared/log';
import { type logCreator, logLevel } from 'kafkajs';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// Answers the group coordinator gives during every rebalance, and metadata for a topic
// created a moment ago: kafkajs logs each at ERROR from its connection layer although the
// client handles them (it rejoins, or retries).
const handledByTheClient = [
  'The group is rebalancing',
  'The coordinator is not aware of this member',
  'Specified group generation id is not valid',
  'This server does not host this topic-partition',
];

/**
 * kafkajs logs through pino (it prints to the console otherwise): object first, message
 * second, at the matching level, so LOG_LEVEL governs both. Connection errors the client
 * recovers from on its own go to debug, or every rebalance would look like an incident.
 */
export const kafkaLogCreator =
  (logger: Logger): logCreator =>
  () =>
  ({ namespace, level, log }) => {
    const { message, timestamp: _t, logger: _l, ...fields } = log;
    const handled =
      namespace === 'Connection' &&
      typeof fields.error === 'string' &&
      handledByTheClient.some((m) => (fields.error as string).startsWith(m));
    logger[handled ? 'debug' : (levels[level] ?? 'debug')](
      { kafkajs: namespace, ...fields },
      message,
    );
  };
