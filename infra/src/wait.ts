import { connect } from 'node:net';

// Waiting with deadlines: never a bare sleep where a condition can be polled.

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WaitForOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called about every `progressEveryMs` while still waiting. */
  onProgress?: (elapsedMs: number, lastError: unknown) => void;
  progressEveryMs?: number;
  /** Returns a reason to stop waiting early (e.g. the process exited). */
  abortReason?: () => string | undefined;
}

/** Poll `probe` until it resolves, or throw after the deadline with the last error as cause. */
export async function waitFor(
  probe: () => Promise<unknown>,
  options: WaitForOptions,
): Promise<void> {
  const { timeoutMs, intervalMs = 250, progressEveryMs = 3_000 } = options;
  const startedMs = Date.now();
  let nextProgressMs = startedMs + progressEveryMs;
  let lastError: unknown;
  for (;;) {
    const aborted = options.abortReason?.();
    if (aborted) throw new Error(aborted, { cause: lastError });
    try {
      await probe();
      return;
    } catch (err) {
      lastError = err;
    }
    const now = Date.now();
    if (now - startedMs >= timeoutMs) {
      throw new Error(`not healthy after ${timeoutMs} ms: ${describeError(lastError)}`, {
        cause: lastError,
      });
    }
    if (now >= nextProgressMs) {
      options.onProgress?.(now - startedMs, lastError);
      nextProgressMs = now + progressEveryMs;
    }
    await sleep(intervalMs);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) {
    const message = err.message || err.name;
    // fetch says only "fetch failed"; the reason (ECONNREFUSED…) is the cause.
    const cause = err.cause instanceof Error ? describeError(err.cause) : '';
    return cause && !message.includes(cause) ? `${message}: ${cause}` : message;
  }
  return String(err);
}

/** True if something accepts TCP connections on host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
