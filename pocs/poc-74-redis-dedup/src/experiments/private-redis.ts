import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@pocs/shared/wait';

/**
 * A redis-server of our own, without persistence, that an experiment may kill and restart:
 * the shared Redis on 6379 is never touched. Always stop() it (in a finally).
 */
export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL the server (a crash: no persistence, so every key is gone) and start it again. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let guarded = false;

/** Send PING over a raw socket; true when the server answers +PONG. */
export function ping(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
  });
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startPrivateRedis({ port }: { port: number }): Promise<PrivateRedis> {
  if (await portAnswers(port)) {
    throw new Error(
      `port ${port} on 127.0.0.1 is already in use: a private Redis from an earlier run? stop it or choose another port`,
    );
  }
  if (!guarded) {
    guarded = true;
    process.once('exit', () => {
      for (const child of live) child.kill('SIGKILL');
    });
  }
  const dir = await mkdtemp(join(tmpdir(), `poc74-redis-${port}-`));
  let child: ChildProcess | undefined;

  const launch = async () => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    child = proc;
    await Promise.race([
      waitFor(() => ping(port), {
        timeoutMs: 10_000,
        intervalMs: 50,
        description: `redis-server on port ${port} to answer PING`,
      }),
      once(proc, 'exit').then(([code]) => {
        throw new Error(`redis-server on port ${port} exited with ${code} before it answered`);
      }),
    ]);
  };

  const kill = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    await exited;
  };

  try {
    await launch();
  } catch (err) {
    await kill();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
