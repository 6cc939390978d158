import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../src/wait.ts';

const fixture = fileURLToPath(new URL('./fixtures/launched-server.ts', import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const answers = (address: string) =>
  fetch(`${address}/health`).then(
    (r) => r.status,
    () => 0,
  );

let orphanPid: number | undefined;
afterEach(() => {
  if (orphanPid !== undefined && alive(orphanPid)) process.kill(orphanPid, 'SIGKILL');
  orphanPid = undefined;
});

/** A shell that launches the server and waits, as pnpm's `sh -c` does; returns both pids. */
async function launch(parentCheckIntervalMs: number) {
  const launcher: ChildProcess = spawn(
    'sh',
    ['-c', `"${process.execPath}" --import tsx "${fixture}" & wait`],
    {
      env: { ...process.env, PARENT_CHECK_INTERVAL_MS: String(parentCheckIntervalMs) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [line] = (await once(launcher.stdout!, 'data')) as [Buffer];
  const { pid, address } = JSON.parse(line.toString()) as { pid: number; address: string };
  orphanPid = pid;
  return { launcher, pid, address };
}

describe('startServer when its launcher dies', () => {
  it('shuts down (port closed, process gone) once the launcher is SIGKILLed', async () => {
    const { launcher, pid, address } = await launch(100);
    expect(await answers(address)).toBe(200);
    launcher.kill('SIGKILL');
    await waitFor(async () => !alive(pid) && (await answers(address)) === 0, {
      timeoutMs: 5_000,
      description: `orphaned server ${pid} to exit`,
    });
    expect(alive(pid)).toBe(false);
  });

  it('without the check, the orphan keeps holding the port (the bug a user saw)', async () => {
    const { launcher, pid, address } = await launch(0);
    launcher.kill('SIGKILL');
    await once(launcher, 'exit');
    // Ten times the interval the fixed twin needs: the orphan still answers every probe.
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push(await answers(address));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(statuses).toEqual(Array(10).fill(200));
    expect(alive(pid)).toBe(true);
  });
});
