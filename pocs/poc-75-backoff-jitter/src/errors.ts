import { PocError } from '@pocs/shared/errors';

/** Another client wrote the row between our read and our write. Retriable: read again. */
export class VersionConflictError extends PocError {
  readonly expectedVersion: number;

  constructor(expectedVersion: number) {
    super(`row changed under us: expected version ${expectedVersion}`, { retriable: true });
    this.expectedVersion = expectedVersion;
  }
}

export const isVersionConflictError = (e: unknown): e is VersionConflictError =>
  e instanceof VersionConflictError;

/** The dependency answered 503 (down, overloaded) or could not be reached. Retriable. */
export class DependencyUnavailableError extends PocError {
  readonly code: string;

  constructor(code: string, cause?: unknown) {
    super(`dependency unavailable (${code})`, { cause, retriable: true });
    this.code = code;
  }
}

export const isDependencyUnavailableError = (e: unknown): e is DependencyUnavailableError =>
  e instanceof DependencyUnavailableError;

/** No answer within the attempt's timeout (e.g. the network drops every packet). Retriable. */
export class DependencyTimeoutError extends PocError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, cause?: unknown) {
    super(`dependency did not answer within ${timeoutMs} ms`, { cause, retriable: true });
    this.timeoutMs = timeoutMs;
  }
}

export const isDependencyTimeoutError = (e: unknown): e is DependencyTimeoutError =>
  e instanceof DependencyTimeoutError;
