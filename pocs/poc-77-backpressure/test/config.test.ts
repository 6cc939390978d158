import { describe, expect, it } from 'vitest';
import { capacityPerSec, loadConfig } from '../src/config.ts';

describe('config', () => {
  it('defaults to the fixed admission limit and a capacity of 20 jobs/s', () => {
    const config = loadConfig({});
    expect(config.ADMISSION_MODE).toBe('fixed');
    expect(capacityPerSec(config)).toBe(20);
  });

  it('names every bad key in one error', () => {
    expect(() => loadConfig({ ADMISSION_MODE: 'infinite', WORKERS: '0' })).toThrow(
      /ADMISSION_MODE[\s\S]*unbounded, fixed, adaptive[\s\S]*WORKERS|WORKERS[\s\S]*ADMISSION_MODE/,
    );
  });
});
