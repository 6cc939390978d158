import { parseBrokers } from '@pocs/kafka';
import { isConfigError } from '@pocs/shared/errors';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('config', () => {
  it('defaults: the shared broker, acks=-1, both faults off', () => {
    const c = loadConfig({});
    expect(parseBrokers(c.KAFKA_BROKERS)).toEqual(['127.0.0.1:9092']);
    expect(c).toMatchObject({
      PORT: 3046,
      PRODUCER_ACKS: '-1',
      TOPIC_PARTITIONS: 6,
      BREAK_ACK_BEFORE_SEND: false,
      BREAK_NO_UNIQUE_ORDER_ID: false,
    });
  });

  it('reads the 3-broker cluster list', () => {
    const c = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094' });
    expect(parseBrokers(c.KAFKA_BROKERS)).toHaveLength(3);
  });

  it('names every bad key at once', () => {
    try {
      loadConfig({ KAFKA_BROKERS: 'localhost', PRODUCER_ACKS: '0', TOPIC: 'a b' });
      expect.unreachable();
    } catch (err) {
      expect(isConfigError(err)).toBe(true);
      const text = (err as Error).message;
      for (const key of ['KAFKA_BROKERS', 'PRODUCER_ACKS', 'TOPIC']) expect(text).toContain(key);
    }
  });
});
