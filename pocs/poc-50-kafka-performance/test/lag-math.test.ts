import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { partitionLagMessages } from '../src/lag.ts';

describe('partitionLagMessages', () => {
  it('is end − committed', () => {
    expect(partitionLagMessages({ committedOffset: 40, startOffset: 0, endOffset: 100 })).toBe(60);
  });
  it('counts everything retained when the group never committed (earliest reset)', () => {
    expect(partitionLagMessages({ committedOffset: null, startOffset: 30, endOffset: 100 })).toBe(
      70,
    );
  });
  it('counts only what is left when retention deleted past the commit', () => {
    expect(partitionLagMessages({ committedOffset: 10, startOffset: 30, endOffset: 100 })).toBe(70);
  });
  it('never goes negative', () => {
    expect(partitionLagMessages({ committedOffset: 120, startOffset: 0, endOffset: 100 })).toBe(0);
  });
});

describe('config', () => {
  it('rejects a LAG_GROUP_PATTERN that is not a regex, naming the key', () => {
    expect(() => loadConfig({ LAG_GROUP_PATTERN: '(' })).toThrow(/LAG_GROUP_PATTERN/);
  });
});
