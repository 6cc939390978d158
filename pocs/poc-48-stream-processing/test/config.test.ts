import { parseBrokers } from '@pocs/kafka';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('config', () => {
  it('defaults: port 3048, exactly_once_v2, changelog on', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3048);
    expect(c.PROCESSING_GUARANTEE).toBe('exactly_once_v2');
    expect(c.BREAK_NO_CHANGELOG).toBe(false);
    expect(parseBrokers(c.KAFKA_BROKERS)).toEqual(['127.0.0.1:9092']);
  });

  it('splits a broker list', () => {
    expect(
      parseBrokers(
        loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093,127.0.0.1:9094' })
          .KAFKA_BROKERS,
      ),
    ).toEqual(['127.0.0.1:9092', '127.0.0.1:9093', '127.0.0.1:9094']);
  });

  it('names every bad key in one error', () => {
    expect(() => loadConfig({ PROCESSING_GUARANTEE: 'maybe', WINDOW_SIZE_MS: '0' })).toThrow(
      /PROCESSING_GUARANTEE[\s\S]*WINDOW_SIZE_MS|WINDOW_SIZE_MS[\s\S]*PROCESSING_GUARANTEE/,
    );
  });

  it('refuses a commit deadline at or past the transaction timeout', () => {
    expect(() =>
      loadConfig({ COMMIT_DEADLINE_MS: '30000', TRANSACTION_TIMEOUT_MS: '30000' }),
    ).toThrow(/COMMIT_DEADLINE_MS=30000: must be below TRANSACTION_TIMEOUT_MS \(30000\)/);
  });
});
