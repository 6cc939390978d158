/**
 * Error base for everything the lab throws on purpose. `retriable` tells callers
 * (retry loops, HTTP error handlers) whether trying again can help.
 */
export class PocError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

export const isPocError = (e: unknown): e is PocError => e instanceof PocError;

/** Invalid configuration: lists every bad key at once so one restart fixes them all. */
export class ConfigError extends PocError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

export const isConfigError = (e: unknown): e is ConfigError => e instanceof ConfigError;

/** No pool client became free within the acquire timeout. Retriable: the pool may drain. */
export class PoolTimeoutError extends PocError {
  readonly waitedMs: number;
  readonly poolMax: number;
  readonly waiting: number;

  constructor(fields: { waitedMs: number; poolMax: number; waiting: number }, cause?: unknown) {
    super(
      `acquire timed out after ${fields.waitedMs} ms (pool max ${fields.poolMax}, ${fields.waiting} waiting)`,
      { cause, retriable: true },
    );
    this.waitedMs = fields.waitedMs;
    this.poolMax = fields.poolMax;
    this.waiting = fields.waiting;
  }
}

export const isPoolTimeoutError = (e: unknown): e is PoolTimeoutError =>
  e instanceof PoolTimeoutError;

/**
 * The database went away under us: the connection was refused, reset, or terminated by the
 * server (restart, failover, pg_terminate_backend). Retriable: it is usually back in seconds.
 */
export class DatabaseUnavailableError extends PocError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause, retriable: true });
  }
}

export const isDatabaseUnavailableError = (e: unknown): e is DatabaseUnavailableError =>
  e instanceof DatabaseUnavailableError;

/**
 * A query got no answer within the pool's client-side query timeout: the server is frozen, the
 * network drops packets without a reset, or the query is far slower than the statement
 * timeout allows. A DatabaseUnavailableError (503 + Retry-After); its client is destroyed.
 */
export class QueryTimeoutError extends DatabaseUnavailableError {
  readonly timeoutMs: number;

  constructor(message: string, timeoutMs: number, cause?: unknown) {
    super(message, cause);
    this.timeoutMs = timeoutMs;
  }
}

export const isQueryTimeoutError = (e: unknown): e is QueryTimeoutError =>
  e instanceof QueryTimeoutError;

// SQLSTATE classes 08 (connection exception) and 57P0x (operator intervention: admin or crash
// shutdown, cannot connect now), 53300 (too many connections: the server or the role is at its
// connection limit, which frees up as other clients disconnect), and the socket errors node
// reports for a dead peer.
const CONNECTION_SQLSTATE = /^(08|57P0[1-4]|53300)/;
const CONNECTION_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);
const CONNECTION_MESSAGE =
  /Connection terminated|connection is closed|Client has encountered a connection error|terminating connection/i;

/** True for errors that mean "the connection to the database is gone", not "your SQL is wrong". */
export function isConnectionLost(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const { code } = e as { code?: unknown };
  if (typeof code === 'string' && (CONNECTION_SQLSTATE.test(code) || CONNECTION_ERRNO.has(code))) {
    return true;
  }
  return CONNECTION_MESSAGE.test(e.message);
}
