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
