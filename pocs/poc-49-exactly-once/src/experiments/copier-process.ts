import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService } from '@pocs/shared/child-service';

/** The POC's folder: the child runs src/server.ts from there. */
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CopierProgress {
  sent: number;
  committed: number;
  uncommitted: number;
}

export interface CopierProcess {
  pid: number;
  /** Resolves with the exit code (null when a signal ended it) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  progress(): CopierProgress;
  /** Lines the copier logged with an `evt` field (progress, fenced, failed, …). */
  events(): string[];
  /** Why the liveness probe SIGKILLed this copier, if it did. */
  stalled(): string | undefined;
  /** A real crash: no shutdown hook runs, nothing is flushed or committed. */
  kill(): Promise<void>;
  /** SIGTERM: finish the chunk in hand, commit, leave the group. */
  stop(): Promise<number | null>;
}

/**
 * Run `src/server.ts` (HTTP + copier) as a child process and follow its JSON log lines,
 * the way Kafka's system test follows TransactionalMessageCopier's stdout.
 */
export async function startCopierProcess({
  port,
  env,
  onProgress,
}: {
  port: number;
  env: Record<string, string>;
  /** Called on every progress line, while the child is still running: the kill trigger. */
  onProgress?: (p: CopierProgress, copier: CopierProcess) => void;
}): Promise<CopierProcess> {
  let progress: CopierProgress = { sent: 0, committed: 0, uncommitted: 0 };
  let stalled: string | undefined;
  const events: string[] = [];
  let partial = '';
  let self: CopierProcess | undefined;
  const onLine = (line: string) => {
    if (!line.startsWith('{')) return;
    let parsed: { evt?: string } & Partial<CopierProgress>;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (!parsed.evt) return;
    events.push(line);
    if (parsed.evt === 'progress') {
      progress = {
        sent: parsed.sent ?? 0,
        committed: parsed.committed ?? 0,
        uncommitted: parsed.uncommitted ?? 0,
      };
      if (self) onProgress?.(progress, self);
    }
  };
  const service: ChildService = await startChildService({
    entry: 'src/server.ts',
    cwd: root,
    port,
    env: { LOG_LEVEL: 'info', ...env },
    startTimeoutMs: 30_000,
    // kafkajs 2.2.4's fetcher can spin in a microtask loop after a broker crash: the
    // copier's own deadline timers never fire, and only a probe from outside sees it.
    liveness: {
      periodMs: 2_000,
      timeoutMs: 2_000,
      failureThreshold: 5,
      onKill: (reason) => {
        stalled = reason;
      },
    },
    onOutput: (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
  });
  const child = service.process;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
    } else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  self = {
    pid: child.pid!,
    exited,
    progress: () => progress,
    events: () => events,
    stalled: () => stalled,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: () => service.stop(15_000),
  };
  return self;
}
