import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/paths.ts';
import { isRunning, processFamily } from '../src/process.ts';
import { createServices } from '../src/services.ts';

// Starts private instances (own state dir under .services/, own ports) so the shared
// services other packages use are never touched.

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const stateRoots: string[] = [];
afterAll(() => {
  for (const dir of stateRoots) rmSync(dir, { recursive: true, force: true });
});

function privateServices(env: Record<string, string>) {
  const stateDir = join(repoRoot, '.services', `test-${process.pid}-${stateRoots.length}`);
  stateRoots.push(stateDir);
  return createServices({
    env: { ...process.env, SERVICES_STATE_DIR: stateDir, SERVICES_RUNTIME: 'native', ...env },
  });
}

describe('up and down of a private instance', () => {
  it('redis: up passes the health check, status reports it, down leaves no process behind', async () => {
    const port = await freePort();
    const services = privateServices({ REDIS_URL: `redis://127.0.0.1:${port}` });

    const [up] = await services.up(['redis']);
    if (!up?.ok) throw up?.error;
    expect(up.value.outcome).toBe('started');
    await services.get('redis').health();

    const [status] = await services.status(['redis']);
    expect(status).toMatchObject({ state: 'up', mode: 'native', pid: up.value.pid });
    const family = processFamily(up.value.pid!);
    expect(family).toContain(up.value.pid);

    const [down] = await services.down(['redis']);
    expect(down).toMatchObject({ ok: true, value: { outcome: 'stopped' } });
    for (const pid of family) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    expect(processFamily(up.value.pid!)).toEqual([]);
    await expect(services.get('redis').health()).rejects.toThrow();
    const [after] = await services.status(['redis']);
    expect(after).toMatchObject({ state: 'down', mode: '-' });
  });

  it('rabbitmq: down also stops what Erlang spawned outside the process group', async () => {
    const port = await freePort();
    const services = privateServices({
      RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${port}`,
      RABBITMQ_DIST_PORT: String(await freePort()),
      RABBITMQ_NODENAME: `infra-test-${process.pid}@localhost`,
    });
    const [up] = await services.up(['rabbitmq']);
    if (!up?.ok) throw up?.error;
    expect(up.value.outcome).toBe('started');
    // beam.smp plus erl_child_setup, which calls setsid() and so leaves the group.
    const family = processFamily(up.value.pid!);
    expect(family.length).toBeGreaterThanOrEqual(3);

    const [down] = await services.down(['rabbitmq']);
    expect(down?.ok).toBe(true);
    for (const pid of family) expect(isRunning(pid), `pid ${pid}`).toBe(false);
  });

  it('down leaves a service alone that it did not start', async () => {
    // Same URL as the shared redis, but a state dir without pid files: not ours to stop.
    const services = privateServices({});
    const [down] = await services.down(['redis']);
    expect(down).toMatchObject({ ok: true, value: { outcome: 'left-alone', pids: [] } });
    await services.get('redis').health();
  });
});
