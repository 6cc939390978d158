import { PocError } from '@pocs/shared/errors';

/** The broker did not acknowledge within PRODUCE_TIMEOUT_MS. The send may still land later. */
export class ProduceTimeoutError extends PocError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`the broker did not acknowledge within ${timeoutMs} ms`, { retriable: true });
    this.timeoutMs = timeoutMs;
  }
}
export const isProduceTimeoutError = (e: unknown): e is ProduceTimeoutError =>
  e instanceof ProduceTimeoutError;

/** kafkajs gave up on the send (retries exhausted, or a non-retriable broker error). */
export class ProduceFailedError extends PocError {
  constructor(cause: unknown) {
    super(`the broker did not take the order: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
      retriable: true,
    });
  }
}
export const isProduceFailedError = (e: unknown): e is ProduceFailedError =>
  e instanceof ProduceFailedError;
