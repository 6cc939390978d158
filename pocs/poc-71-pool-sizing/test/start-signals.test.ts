import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@pocs/shared/wait';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresUrl } from './postgres-url.ts';

// `pnpm --filter poc-71 start`, as a user runs it, on its own port so a service the user
// left running on 3071 is never touched. Each launch gets its own process group.
const PORT = 13071;
const health = `http://127.0.0.1:${PORT}/health`;
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const pocDir = fileURLToPath(new URL('..', import.meta.url));
const env = { ...process.env, PORT: String(PORT), LOG_LEVEL: 'warn', POSTGRES_URL: postgresUrl };

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};
const status = () =>
  fetch(health).then(
    (r) => r.status,
    () => 0,
  );

let launched: ChildProcess | undefined;
afterEach(() => {
  const pgid = launched?.pid;
  if (pgid !== undefined && groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  launched = undefined;
});

async function launch(command: string, args: string[], cwd: string) {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: 'ignore' });
  launched = child;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await waitFor(async () => (await status()) === 200, {
    timeoutMs: 30_000,
    intervalMs: 100,
    description: `${command} ${args.join(' ')} to answer ${health}`,
  });
  return { pid: child.pid as number, exited };
}

describe('a signal to the start command', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s to the pnpm process closes the port and leaves no process of its group',
    async (signal) => {
      const { pid, exited } = await launch('pnpm', ['--filter', 'poc-71', 'start'], repoRoot);
      process.kill(pid, signal);
      await waitFor(async () => !groupAlive(pid) && (await status()) === 0, {
        timeoutMs: 10_000,
        description: `pnpm (pid ${pid}) and its children to exit after ${signal}`,
      });
      // The service drained and exited 0; pnpm reports its script's clean exit.
      expect(await exited).toEqual([0, null]);
    },
  );

  it('without exec, SIGINT stops at the shell pnpm runs scripts in (the bug a user saw)', async () => {
    // pnpm runs a script as `sh -c '<script>'`; this is the old script, less pnpm.
    const { pid } = await launch('sh', ['-c', 'node --import tsx src/server.ts'], pocDir);
    process.kill(pid, 'SIGINT');
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push(await status());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(statuses).toEqual(Array(10).fill(200));
    expect(groupAlive(pid)).toBe(true);
  });
});
