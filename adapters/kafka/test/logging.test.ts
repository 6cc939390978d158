import { logLevel } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator } from '../src/logging.ts';

/** A real pino logger at debug, writing JSON lines into an array. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  return { lines, log: kafkaLogCreator(logger)(logLevel.DEBUG) };
}
const pinoLevel = { debug: 20, info: 30, warn: 40, error: 50 };
const entry = (namespace: string, level: logLevel, message: string, extra = {}) => ({
  namespace,
  level,
  label: '',
  log: { timestamp: 'now', logger: 'kafkajs', message, ...extra },
});

describe('kafkaLogCreator', () => {
  it('keeps the level, the message and the fields; drops kafkajs timestamp and logger', () => {
    const { lines, log } = capture();
    log(entry('Producer', logLevel.ERROR, 'Failed to send messages', { retryCount: 2 }));
    log(entry('Consumer', logLevel.WARN, 'slow'));
    expect(lines[0]).toMatchObject({
      level: pinoLevel.error,
      msg: 'Failed to send messages',
      kafkajs: 'Producer',
      retryCount: 2,
    });
    expect(lines[0]).not.toHaveProperty('logger');
    expect(lines[1]).toMatchObject({ level: pinoLevel.warn, msg: 'slow' });
  });

  it('demotes the connection errors a rebalance produces to debug; others stay errors', () => {
    const { lines, log } = capture();
    log(
      entry('Connection', logLevel.ERROR, 'Response Heartbeat', {
        error: 'The group is rebalancing, so a rejoin is needed',
      }),
    );
    log(entry('Connection', logLevel.ERROR, 'Connection error', { error: 'read ECONNRESET' }));
    expect(lines.map((l) => l.level)).toEqual([pinoLevel.debug, pinoLevel.error]);
  });
});
