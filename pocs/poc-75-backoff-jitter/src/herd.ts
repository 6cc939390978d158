/**
 * Clients of the flaky dependency: each makes one logical request and retries 503s with
 * the shared retry(), optionally under one retry budget shared by all of them.
 */
import { performance } from 'node:perf_hooks';
import { type BackoffOptions, seededRandom } from '@pocs/shared/backoff';
import { isRetryStoppedError, retry } from '@pocs/shared/retry';
import type { RetryBudget } from '@pocs/shared/retry-budget';
import { DependencyTimeoutError, DependencyUnavailableError } from './errors.ts';

/**
 * One GET /resource. A 503, a connection failure or no answer within `timeoutMs` becomes
 * a retriable error; any other non-2xx a plain one.
 */
export async function callDependency(url: string, timeoutMs?: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(
      `${url}/resource`,
      timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {},
    );
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new DependencyTimeoutError(timeoutMs!, err);
    // fetch's TypeError: refused, reset or closed mid-request. The network, not the request.
    if (err instanceof TypeError) throw new DependencyUnavailableError('unreachable', err);
    throw err;
  }
  const body = (await res.json().catch(() => ({}))) as { code?: string };
  if (res.status === 503) throw new DependencyUnavailableError(body.code ?? 'unknown');
  if (!res.ok) throw new Error(`dependency answered ${res.status}`);
}

export interface HerdClientsResult {
  clients: number;
  succeeded: number;
  /** Logical requests that failed for good, by why retry() stopped. */
  gaveUp: Record<string, number>;
  /** Attempts the clients made, first tries and retries. */
  attempts: number;
  /** When the last client finished, ms after the start. */
  completionMs: number;
}

export async function runClients({
  url,
  clients,
  backoff,
  maxAttempts,
  seed,
  budget,
  deadlineMs,
  attemptTimeoutMs,
}: {
  url: string;
  clients: number;
  backoff: BackoffOptions;
  maxAttempts: number;
  seed: number;
  budget?: RetryBudget;
  deadlineMs?: number;
  /** Give up on an attempt that has no answer after this long, ms (a blackholed network). */
  attemptTimeoutMs?: number;
}): Promise<HerdClientsResult> {
  let attempts = 0;
  let succeeded = 0;
  const gaveUp: Record<string, number> = {};
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      try {
        await retry(
          () => {
            attempts++;
            return callDependency(url, attemptTimeoutMs);
          },
          { backoff, maxAttempts, budget, deadlineMs, random: seededRandom(seed * 1_000 + i) },
        );
        succeeded++;
      } catch (err) {
        const reason = isRetryStoppedError(err) ? err.reason : 'error';
        gaveUp[reason] = (gaveUp[reason] ?? 0) + 1;
      }
    }),
  );
  return {
    clients,
    succeeded,
    gaveUp,
    attempts,
    completionMs: Math.round(performance.now() - start),
  };
}
