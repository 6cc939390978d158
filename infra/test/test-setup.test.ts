import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { declaredServices, requireServices, ServicesNotRunningError } from '../src/test-setup.ts';

// The test kit's service check: a run with a dependency down fails in seconds with the
// command that fixes it, instead of every test hanging on its own timeout.

const dir = mkdtempSync(join(tmpdir(), 'test-setup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('requireServices', () => {
  it('passes when the services answer (postgres and redis, as started for the suite)', async () => {
    await expect(requireServices(['postgres', 'redis'])).resolves.toBeUndefined();
  });

  it('fails within its timeout naming every service down and the command to start them', async () => {
    const env = {
      ...process.env,
      REDIS_URL: 'redis://127.0.0.1:1',
      TOXIPROXY_URL: 'http://127.0.0.1:1',
    };
    const startedMs = Date.now();
    const error = await requireServices(['postgres', 'redis', 'toxiproxy'], {
      env,
      project: 'poc-99',
      timeoutMs: 1_000,
    }).catch((err: unknown) => err);
    expect(Date.now() - startedMs).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(ServicesNotRunningError);
    const { missing, message } = error as ServicesNotRunningError;
    expect(missing.map((m) => m.name)).toEqual(['redis', 'toxiproxy']);
    expect(message).toContain('poc-99 needs services that do not answer');
    expect(message).toContain('run `pnpm services up redis toxiproxy`');
  });
});

describe('declaredServices', () => {
  it('reads package.json pocs.services', () => {
    writeFileSync(join(dir, 'package.json'), '{}');
    expect(declaredServices(dir)).toEqual([]);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'poc-99', pocs: { services: ['postgres', 'kafka-cluster'] } }),
    );
    expect(declaredServices(dir)).toEqual(['postgres', 'kafka-cluster']);
  });

  it('rejects a name that is not a service, saying what it got', () => {
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'poc-99', pocs: { services: ['postgres', 'mongodb'] } }),
    );
    expect(() => declaredServices(dir)).toThrow(
      'poc-99: package.json "pocs.services" must list service names, got ["postgres","mongodb"]',
    );
  });
});
