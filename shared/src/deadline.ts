import { PocError } from './errors.ts';

/**
 * A request deadline that travels across hops. Each hop reads the remaining budget
 * from the incoming request, spends some, and passes on what is left (minus a reserve
 * for its own reply), so a slow dependency can't keep the caller waiting past the
 * point where the answer is useless. Budgets travel as relative milliseconds, not
 * timestamps, so clocks on different hosts need not agree (as gRPC's grpc-timeout).
 */
export interface Deadline {
  /** Absolute expiry on this process's clock (ms). */
  readonly expiresAt: number;
  remainingMs(): number;
  expired(): boolean;
  /** Aborts when the deadline passes: hand it to fetch, undici or anything that takes a signal. */
  readonly signal: AbortSignal;
  /** A tighter deadline for one call: never later than this one. */
  child(maxMs: number): Deadline;
}

/** The budget ran out before the work finished. Not retriable: the caller has given up. */
export class DeadlineExceededError extends PocError {
  readonly budgetMs: number;
  constructor(message: string, budgetMs: number, cause?: unknown) {
    super(message, { cause, retriable: false });
    this.budgetMs = budgetMs;
  }
}

export const isDeadlineExceededError = (e: unknown): e is DeadlineExceededError =>
  e instanceof DeadlineExceededError;

/** Header carrying the remaining budget in whole milliseconds. */
export const DEADLINE_HEADER = 'x-request-timeout-ms';

export function createDeadline(timeoutMs: number, now: () => number = Date.now): Deadline {
  return deadlineAt(now() + Math.max(0, timeoutMs), now);
}

function deadlineAt(expiresAt: number, now: () => number): Deadline {
  const budget = Math.max(0, expiresAt - now());
  return {
    expiresAt,
    remainingMs: () => Math.max(0, expiresAt - now()),
    expired: () => now() >= expiresAt,
    signal: AbortSignal.timeout(budget),
    child: (maxMs) => deadlineAt(Math.min(expiresAt, now() + Math.max(0, maxMs)), now),
  };
}

/**
 * The deadline an incoming request carries: the smaller of the caller's budget and our
 * own cap, or the default when the caller sent none. A malformed header is ignored
 * rather than failing the request: the cap still applies.
 */
export function deadlineFromHeaders(
  headers: Record<string, string | string[] | undefined>,
  {
    defaultMs,
    maxMs = defaultMs,
    now = Date.now,
  }: { defaultMs: number; maxMs?: number; now?: () => number },
): Deadline {
  const raw = headers[DEADLINE_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const parsed = value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
  return createDeadline(Math.min(parsed ?? defaultMs, maxMs), now);
}

/** Header for the next hop: what is left, minus a reserve to build our own reply. */
export function deadlineHeaders(deadline: Deadline, reserveMs = 0): Record<string, string> {
  return { [DEADLINE_HEADER]: String(Math.max(0, Math.floor(deadline.remainingMs() - reserveMs))) };
}

const GRPC_UNITS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

/** gRPC's wire format: at most 8 digits and a unit (H, M, S, m, u, n). */
export function formatGrpcTimeout(ms: number): string {
  const whole = Math.max(0, Math.floor(ms));
  if (whole < 100_000_000) return `${whole}m`;
  const seconds = Math.floor(whole / 1000);
  if (seconds < 100_000_000) return `${seconds}S`;
  return `${Math.min(99_999_999, Math.floor(seconds / 3600))}H`;
}

export function parseGrpcTimeout(value: string): number | undefined {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  return m ? Number(m[1]) * GRPC_UNITS[m[2]!]! : undefined;
}

/**
 * fetch with the deadline: the request aborts when the budget runs out, and the next
 * hop learns how much is left. A timeout surfaces as DeadlineExceededError.
 */
export async function fetchWithDeadline(
  url: string | URL,
  deadline: Deadline,
  init: RequestInit & { reserveMs?: number } = {},
): Promise<Response> {
  const { reserveMs = 0, ...rest } = init;
  if (deadline.expired())
    throw new DeadlineExceededError(`deadline passed before calling ${url}`, 0);
  const budgetMs = deadline.remainingMs();
  const headers = new Headers(rest.headers);
  for (const [k, v] of Object.entries(deadlineHeaders(deadline, reserveMs))) headers.set(k, v);
  const signal = rest.signal ? AbortSignal.any([rest.signal, deadline.signal]) : deadline.signal;
  try {
    return await fetch(url, { ...rest, headers, signal });
  } catch (err) {
    if (deadline.expired() || deadline.signal.aborted) {
      throw new DeadlineExceededError(
        `${url} did not answer within the ${budgetMs} ms left`,
        budgetMs,
        err,
      );
    }
    throw err;
  }
}

/** Anything with pg's `query(text, values)`: a Client or a PoolClient. */
interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/**
 * Cap the server-side statement time of this session to the budget left, so Postgres
 * stops work nobody will wait for. Call it on a checked-out client before the query.
 */
export async function applyStatementTimeout(
  client: Queryable,
  deadline: Deadline,
): Promise<number> {
  const ms = Math.max(1, Math.floor(deadline.remainingMs()));
  if (deadline.expired()) throw new DeadlineExceededError('deadline passed before the query', 0);
  await client.query("select set_config('statement_timeout', $1, false)", [String(ms)]);
  return ms;
}

/**
 * Race a command (an ioredis call, or any promise) against the deadline. ioredis has no
 * per-command timeout, only a client-wide `commandTimeout`; this gives one per request.
 * The caller stops waiting; the command itself is not cancelled, and on a single
 * connection later commands still queue behind it.
 */
export async function withinDeadline<T>(
  deadline: Deadline,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  const budgetMs = deadline.remainingMs();
  if (deadline.expired()) throw new DeadlineExceededError(`deadline passed before ${what}`, 0);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        new DeadlineExceededError(
          `${what} did not finish within the ${budgetMs} ms left`,
          budgetMs,
        ),
      );
    deadline.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(), aborted]);
  } finally {
    if (onAbort) deadline.signal.removeEventListener('abort', onAbort);
  }
}
