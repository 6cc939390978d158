import { describe, expect, it } from 'vitest';
import { configToEnv, loadConfig } from '../src/config.ts';

describe('config', () => {
  it('has a default for every key and round-trips through env strings', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3047);
    expect(config.BREAK_BLOCKING_BATCH).toBe(false);
    expect(loadConfig(configToEnv(config))).toEqual(config);
  });

  it('keeps a valid broker list and refuses one that is not host:port', () => {
    expect(loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093,' }).KAFKA_BROKERS).toBe(
      '127.0.0.1:9092, 127.0.0.1:9093,',
    );
    expect(() => loadConfig({ KAFKA_BROKERS: 'localhost' })).toThrow(/KAFKA_BROKERS="localhost"/);
  });

  it('names every bad key in one error', () => {
    const bad = () =>
      loadConfig({ PARTITIONS: '0', TOPIC: 'a topic', BREAK_BLOCKING_BATCH: 'maybe' });
    expect(bad).toThrow(/PARTITIONS="0"/);
    expect(bad).toThrow(/TOPIC="a topic"/);
    expect(bad).toThrow(/BREAK_BLOCKING_BATCH="maybe"/);
  });
});
