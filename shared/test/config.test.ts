import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { env, parseConfig } from '../src/config.ts';
import { type ConfigError, isConfigError } from '../src/errors.ts';

const schema = z.object({
  PORT: env.port(3000),
  PG_POOL_MAX: env.int(10, 1),
  POSTGRES_URL: env.url('postgres://postgres:postgres@127.0.0.1:5432/postgres'),
  BREAK_LEAK_ON_ERROR: env.flag(false),
});

describe('parseConfig', () => {
  it('applies defaults when keys are unset or empty', () => {
    const config = parseConfig(schema, { PORT: '' });
    expect(config).toEqual({
      PORT: 3000,
      PG_POOL_MAX: 10,
      POSTGRES_URL: 'postgres://postgres:postgres@127.0.0.1:5432/postgres',
      BREAK_LEAK_ON_ERROR: false,
    });
  });

  it('coerces strings to typed values', () => {
    const config = parseConfig(schema, {
      PORT: '8080',
      PG_POOL_MAX: '64',
      BREAK_LEAK_ON_ERROR: 'yes',
    });
    expect(config.PORT).toBe(8080);
    expect(config.PG_POOL_MAX).toBe(64);
    expect(config.BREAK_LEAK_ON_ERROR).toBe(true);
  });

  it('reports every bad key and its value in one error', () => {
    let caught: unknown;
    try {
      parseConfig(schema, { PORT: '70000', PG_POOL_MAX: 'ten', BREAK_LEAK_ON_ERROR: 'maybe' });
    } catch (err) {
      caught = err;
    }
    expect(isConfigError(caught)).toBe(true);
    const problems = (caught as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^PORT="70000": /);
    expect(problems[1]).toMatch(/^PG_POOL_MAX="ten": /);
    expect(problems[2]).toMatch(/^BREAK_LEAK_ON_ERROR="maybe": expected one of 1, 0/);
    expect((caught as Error).message).toContain('invalid configuration');
  });

  it('returns a frozen object', () => {
    const config = parseConfig(schema, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });

  it('ignores env keys the schema does not name', () => {
    const config = parseConfig(schema, { UNRELATED: 'x' });
    expect(config).not.toHaveProperty('UNRELATED');
  });
});
