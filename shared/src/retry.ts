/**
 * retry(): call `fn` until it succeeds, with backoff between attempts. It retries only
 * retriable errors (by default a PocError with `retriable: true`), never sleeps past the
 * deadline, stops as soon as the signal aborts, and asks the retry budget before each retry.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { type BackoffOptions, backoffDelay, type Random } from './backoff.ts';
import { isPocError, PocError } from './errors.ts';
import type { RetryBudget } from './retry-budget.ts';

export type RetryStopReason = 'attempts' | 'deadline' | 'budget' | 'aborted';

/** retry() gave up on a retriable failure. `cause` is the last error `fn` threw. */
export class RetryStoppedError extends PocError {
  readonly reason: RetryStopReason;
  readonly attempts: number;

  constructor(reason: RetryStopReason, attempts: number, cause: unknown) {
    const why = {
      attempts: `all ${attempts} attempts failed`,
      deadline: `the next retry would end past the deadline (${attempts} attempts made)`,
      budget: `the retry budget is spent (${attempts} attempts made)`,
      aborted: `aborted after ${attempts} attempts`,
    }[reason];
    const last = cause instanceof Error ? `: ${cause.message}` : '';
    super(`retry stopped: ${why}${last}`, { cause });
    this.reason = reason;
    this.attempts = attempts;
  }
}

export const isRetryStoppedError = (e: unknown): e is RetryStoppedError =>
  e instanceof RetryStoppedError;

/** The default: only errors that say so are worth trying again. */
export const isRetriableError = (e: unknown): boolean => isPocError(e) && e.retriable;

export interface RetryEvent {
  /** The attempt about to be made, 2 for the first retry. */
  attempt: number;
  delayMs: number;
  error: unknown;
}

/** What each attempt is told: bound the attempt by `remainingMs` so it ends by the deadline. */
export interface RetryContext {
  /** 1 for the first try. */
  attempt: number;
  signal?: AbortSignal;
  /** Time left until the deadline, ms; Infinity without one. */
  remainingMs: number;
}

export interface RetryOptions {
  /** Attempts in all, the first one included (default 3). */
  maxAttempts?: number;
  /** Default: full jitter, base 5 ms, cap 2 s. */
  backoff?: BackoffOptions;
  signal?: AbortSignal;
  /** Time budget from the call to retry(), ms. */
  deadlineMs?: number;
  /** Absolute deadline in `now()` time (epoch ms by default); the earlier of the two wins. */
  deadline?: number;
  isRetriable?: (e: unknown) => boolean;
  budget?: RetryBudget;
  random?: Random;
  /** Waits `ms`; must reject when `signal` aborts. Tests pass a fake clock's sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Called before each backoff sleep: turn it into a metric or a log line. */
  onRetry?: (event: RetryEvent) => void;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  sleepFor(ms, undefined, signal ? { signal } : undefined);

export async function retry<T>(
  fn: (context: RetryContext) => Promise<T>,
  {
    maxAttempts = 3,
    backoff = { strategy: 'full', baseMs: 5, capMs: 2_000 },
    signal,
    deadlineMs,
    deadline,
    isRetriable = isRetriableError,
    budget,
    random = Math.random,
    sleep = defaultSleep,
    now = Date.now,
    onRetry,
  }: RetryOptions = {},
): Promise<T> {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a whole number ≥ 1, got ${maxAttempts}`);
  }
  const start = now();
  const endAt = Math.min(
    deadline ?? Infinity,
    deadlineMs === undefined ? Infinity : start + deadlineMs,
  );
  let previousDelay: number | undefined;
  let lastError: unknown;

  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted)
      throw new RetryStoppedError('aborted', attempt - 1, lastError ?? signal.reason);
    if (now() >= endAt) throw new RetryStoppedError('deadline', attempt - 1, lastError);
    try {
      const value = await fn({ attempt, signal, remainingMs: endAt - now() });
      budget?.recordSuccess();
      return value;
    } catch (err) {
      lastError = err;
      if (signal?.aborted) throw new RetryStoppedError('aborted', attempt, err);
      if (!isRetriable(err)) throw err;
      if (attempt >= maxAttempts) throw new RetryStoppedError('attempts', attempt, err);
      const delayMs = backoffDelay(attempt - 1, backoff, random, previousDelay);
      // Sleeping until the deadline and then failing wastes the caller's time: fail now.
      if (now() + delayMs >= endAt) throw new RetryStoppedError('deadline', attempt, err);
      if (budget && !budget.tryRetry()) throw new RetryStoppedError('budget', attempt, err);
      previousDelay = delayMs;
      onRetry?.({ attempt: attempt + 1, delayMs, error: err });
      try {
        await sleep(delayMs, signal);
      } catch (sleepErr) {
        if (signal?.aborted) throw new RetryStoppedError('aborted', attempt, err);
        throw sleepErr;
      }
    }
  }
}
