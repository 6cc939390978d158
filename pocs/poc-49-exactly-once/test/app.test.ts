import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { CopierStats } from '../src/copier.ts';

const stats = (state: CopierStats['state']): CopierStats => ({
  mode: 'transactional',
  state,
  sent: 10,
  committed: 8,
  uncommitted: 2,
  transactions: 4,
});

describe('copier HTTP', () => {
  it('reports progress on /status and fails /health once fenced', async () => {
    let current = stats('running');
    const { app } = await buildApp(loadConfig({}), {
      logger: silentLogger,
      registry: createRegistry({ defaultMetrics: false }),
      copierStats: () => current,
    });
    const status = await app.inject({ method: 'GET', url: '/status' });
    expect(status.json()).toMatchObject({
      state: 'running',
      sent: 10,
      uncommitted: 2,
      transactionalId: 'poc49-copier',
    });
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    current = stats('fenced');
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(503);
    const missing = await app.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    await app.close();
  });
});

describe('config', () => {
  it('defaults to the transactional copier and names every bad key', () => {
    const c = loadConfig({});
    expect(c.COPY_MODE).toBe('transactional');
    expect(c.TX_MAX_MESSAGES).toBe(500);
    expect(() => loadConfig({ COPY_MODE: 'exactly-twice', TX_MAX_MESSAGES: '0' })).toThrow(
      /COPY_MODE[\s\S]*TX_MAX_MESSAGES|TX_MAX_MESSAGES[\s\S]*COPY_MODE/,
    );
  });
});
