import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

describe('service', () => {
  it('greets by name and rejects an empty name with 400', async () => {
    const { app } = await buildApp(loadConfig({}), {
      logger: silentLogger,
      registry: createRegistry(),
    });
    const ok = await app.inject({ method: 'GET', url: '/hello?name=lab' });
    expect(ok.json()).toEqual({ hello: 'lab' });
    const bad = await app.inject({ method: 'GET', url: '/hello?name=' });
    expect(bad.statusCode).toBe(400);
    await app.close();
  });

  it('lists its routes, with their schemas, at /openapi.json', async () => {
    const { app } = await buildApp(loadConfig({}), {
      logger: silentLogger,
      registry: createRegistry(),
    });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.paths['/hello'].get.parameters).toEqual([
      expect.objectContaining({ in: 'query', name: 'name', required: false }),
    ]);
    await app.close();
  });
});
