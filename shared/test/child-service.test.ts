import { once } from 'node:events';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startChildService } from '../src/child-service.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
// Ports below the kernel's ephemeral range (32768–60999): a port in it can be held for a
// while by any outgoing connection's local end, and the listen then fails.

describe('startChildService', () => {
  it('starts a service, waits for /health, and stops it with SIGTERM', async () => {
    const service = await startChildService({
      entry: 'health-server.ts',
      cwd: fixtures,
      port: 29_871,
    });
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
    expect(await service.stop()).toBe(0);
    await expect(fetch(`${service.url}/health`)).rejects.toThrow();
  });

  it('liveness probe: leaves a healthy child alone and SIGKILLs one whose event loop is stuck', async () => {
    const kills: string[] = [];
    const probe = {
      periodMs: 100,
      timeoutMs: 200,
      failureThreshold: 3,
      onKill: (r: string) => kills.push(r),
    };
    const healthy = await startChildService({
      entry: 'health-server.ts',
      cwd: fixtures,
      port: 29_874,
      liveness: probe,
    });
    const stuck = await startChildService({
      entry: 'health-server.ts',
      cwd: fixtures,
      port: 29_875,
      env: { BLOCK_AFTER_MS: '300' },
      liveness: probe,
    });
    const [, signal] = await once(stuck.process, 'exit');
    expect(signal).toBe('SIGKILL');
    expect(kills).toEqual(['3 liveness probes failed in a row (last: no answer within 200 ms)']);
    // The healthy one passed every probe meanwhile (≥ 6 of them) and still answers.
    expect(healthy.process.exitCode).toBeNull();
    expect(await healthy.stop()).toBe(0);
  });

  it('refuses a port something else already answers on', async () => {
    const squatter = createServer((_req, res) => res.end('not yours'));
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject).listen(29_872, '127.0.0.1', resolve);
    });
    try {
      await expect(
        startChildService({ entry: 'health-server.ts', cwd: fixtures, port: 29_872 }),
      ).rejects.toThrow('port 29872 on 127.0.0.1 is already in use');
    } finally {
      squatter.close();
    }
  });

  it('reports a child that dies before it is healthy, with its output', async () => {
    await expect(
      startChildService({
        entry: 'health-server.ts',
        cwd: fixtures,
        port: 29_873,
        env: { CRASH_ON_START: '1' },
      }),
    ).rejects.toThrow(/exited with 1 before it was healthy:[\s\S]*crashing on purpose/);
  });
});
