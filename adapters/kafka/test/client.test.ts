import { parseConfig } from '@pocs/shared/config';
import { ConfigError } from '@pocs/shared/errors';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BrokerListError,
  brokerListEnv,
  brokerListStringEnv,
  createKafka,
  parseBrokers,
  uniqueName,
} from '../src/client.ts';

describe('parseBrokers', () => {
  it('splits, trims and drops empty entries', () => {
    expect(parseBrokers(' 127.0.0.1:9092, kafka-2.local:9093,,[::1]:9094 ,')).toEqual([
      '127.0.0.1:9092',
      'kafka-2.local:9093',
      '[::1]:9094',
    ]);
  });

  it.each([
    ['', 'no broker'],
    [' , ', 'no broker'],
    ['127.0.0.1', '"127.0.0.1" is not host:port'],
    ['kafka://127.0.0.1:9092', '"kafka://127.0.0.1:9092" is not host:port'],
    ['127.0.0.1:9092,127.0.0.1:70000', '"127.0.0.1:70000" is not host:port'],
    ['127.0.0.1:0', '"127.0.0.1:0" is not host:port'],
  ])('%j is refused: %s', (list, problem) => {
    expect(() => parseBrokers(list)).toThrow(BrokerListError);
    expect(() => parseBrokers(list)).toThrow(problem);
  });
});

describe('brokerListEnv', () => {
  const schema = z.object({ KAFKA_BROKERS: brokerListEnv('127.0.0.1:9092') });

  it('defaults, then parses a list from env into an array', () => {
    expect(parseConfig(schema, {}).KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(parseConfig(schema, { KAFKA_BROKERS: 'a:1, b:2' }).KAFKA_BROKERS).toEqual([
      'a:1',
      'b:2',
    ]);
  });

  it('a bad list is a config error naming the key and the entry', () => {
    expect(() => parseConfig(schema, { KAFKA_BROKERS: 'a:1,b' })).toThrow(ConfigError);
    expect(() => parseConfig(schema, { KAFKA_BROKERS: 'a:1,b' })).toThrow(
      /KAFKA_BROKERS="a:1,b": .*"b" is not host:port/,
    );
  });
});

describe('brokerListStringEnv', () => {
  const schema = z.object({ KAFKA_BROKERS: brokerListStringEnv('127.0.0.1:9092') });

  it('defaults, keeps a good list as the string it was given', () => {
    expect(parseConfig(schema, {}).KAFKA_BROKERS).toBe('127.0.0.1:9092');
    expect(parseConfig(schema, { KAFKA_BROKERS: 'a:1, b:2' }).KAFKA_BROKERS).toBe('a:1, b:2');
  });

  it('a bad list is a config error naming the key and the entry', () => {
    expect(() => parseConfig(schema, { KAFKA_BROKERS: 'a:1,b' })).toThrow(
      /KAFKA_BROKERS="a:1,b": .*"b" is not host:port/,
    );
  });
});

describe('createKafka', () => {
  it('takes a comma-separated list or an array, and refuses a bad list before connecting', () => {
    expect(createKafka({ brokers: 'a:1,b:2', clientId: 't' })).toBeDefined();
    expect(createKafka({ brokers: ['a:1'], clientId: 't' })).toBeDefined();
    expect(() => createKafka({ brokers: 'localhost', clientId: 't' })).toThrow(BrokerListError);
  });

  it('a logCreator of its own receives kafkajs logs at the level asked', () => {
    const seen: Array<{ namespace: string; level: number }> = [];
    const kafka = createKafka({
      brokers: 'a:1',
      clientId: 't',
      level: logLevel.INFO,
      logCreator: () => (entry) => seen.push({ namespace: entry.namespace, level: entry.level }),
    });
    const log = kafka.logger().namespace('Test');
    log.info('hello');
    log.debug('not at INFO');
    expect(seen).toEqual([{ namespace: 'Test', level: logLevel.INFO }]);
  });

  it('uniqueName gives a fresh suffix per call', () => {
    const names = new Set(Array.from({ length: 100 }, () => uniqueName('t')));
    expect(names.size).toBe(100);
    for (const n of names) expect(n).toMatch(/^t-[0-9a-f]{8}$/);
  });
});
