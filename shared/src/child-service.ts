import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { waitFor } from './wait.ts';

export interface ChildService {
  url: string;
  process: ChildProcess;
  /** SIGTERM, wait for a clean exit; SIGKILL after the deadline. Returns the exit code. */
  stop: (deadlineMs?: number) => Promise<number | null>;
}

/**
 * Run a POC's service in its own process (benches must not share an event loop with
 * the load generator), with env overrides, and wait until /health answers.
 */
export async function startChildService({
  entry,
  cwd,
  port,
  env = {},
  host = '127.0.0.1',
  startTimeoutMs = 30_000,
  onOutput,
}: {
  entry: string;
  cwd: string;
  port: number;
  env?: Record<string, string>;
  host?: string;
  startTimeoutMs?: number;
  onOutput?: (chunk: string) => void;
}): Promise<ChildService> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd,
    env: { ...process.env, HOST: host, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-4_000);
    onOutput?.(text);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const url = `http://${host}:${port}`;
  try {
    await Promise.race([
      waitFor(async () => (await fetch(`${url}/health`)).ok, {
        timeoutMs: startTimeoutMs,
        intervalMs: 100,
        description: `${entry} to answer ${url}/health`,
      }),
      exited.then((code) => {
        throw new Error(`${entry} exited with ${code} before it was healthy:\n${output}`);
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }

  return {
    url,
    process: child,
    stop: async (deadlineMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}
