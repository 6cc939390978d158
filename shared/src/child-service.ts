import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { waitFor } from './wait.ts';

// Children die with the script that started them, even on Ctrl-C or a crash, so an
// interrupted bench never leaves a stale service answering on its port.
const live = new Set<ChildProcess>();
let guarded = false;
function guardExit(): void {
  if (guarded) return;
  guarded = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of live) child.kill('SIGTERM');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A supervisor's liveness probe, as Kubernetes runs one: a process can be alive and stuck
 * (a blocked event loop answers nothing), and only a probe from outside notices.
 */
export interface LivenessProbe {
  /** Time between probes (Kubernetes periodSeconds). */
  periodMs?: number;
  /** A probe not answered within this fails (Kubernetes timeoutSeconds). */
  timeoutMs?: number;
  /** Failures in a row before the child is SIGKILLed (Kubernetes failureThreshold). */
  failureThreshold?: number;
  /** Called once, right before the kill, with what the last probe saw. */
  onKill?: (reason: string) => void;
}

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
  liveness,
}: {
  entry: string;
  cwd: string;
  port: number;
  env?: Record<string, string>;
  host?: string;
  startTimeoutMs?: number;
  onOutput?: (chunk: string) => void;
  /** Probe /health once started and SIGKILL the child when it stops answering. */
  liveness?: LivenessProbe;
}): Promise<ChildService> {
  // Otherwise the health check below could pass against whatever already listens there.
  if (await portAnswers(host, port)) {
    throw new Error(
      `port ${port} on ${host} is already in use: stop what listens there or choose another port`,
    );
  }
  guardExit();
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
  live.add(child);
  const exited = once(child, 'exit').then(([code]) => {
    live.delete(child);
    return code as number | null;
  });

  const url = `http://${host}:${port}`;
  try {
    await Promise.race([
      waitFor(async () => (await fetch(`${url}/health`)).ok, {
        timeoutMs: startTimeoutMs,
        intervalMs: 100,
        description: `${entry} to answer ${url}/health`,
      }),
      exited.then(async (code) => {
        // 'exit' can come before the last output is read; 'close' waits for the pipes.
        if (child.stdout.readable || child.stderr.readable) await once(child, 'close');
        throw new Error(`${entry} exited with ${code} before it was healthy:\n${output}`);
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  if (liveness) void probeLiveness(child, `${url}/health`, liveness);

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

async function probeLiveness(
  child: ChildProcess,
  healthUrl: string,
  { periodMs = 2_000, timeoutMs = 2_000, failureThreshold = 5, onKill }: LivenessProbe,
): Promise<void> {
  const running = () => child.exitCode === null && child.signalCode === null;
  let failures = 0;
  while (running()) {
    await new Promise((resolve) => setTimeout(resolve, periodMs).unref());
    if (!running()) return;
    let seen: string;
    try {
      const res = await fetch(healthUrl, { signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
      seen = res.ok ? 'ok' : `HTTP ${res.status}`;
    } catch (err) {
      seen =
        (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String(err);
    }
    failures = seen === 'ok' ? 0 : failures + 1;
    if (failures >= failureThreshold && running()) {
      onKill?.(`${failures} liveness probes failed in a row (last: ${seen})`);
      child.kill('SIGKILL');
      return;
    }
  }
}
