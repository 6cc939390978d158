import { type Deadline, fetchWithDeadline, isDeadlineExceededError } from '@pocs/shared/deadline';
import { PocError } from '@pocs/shared/errors';
import type { HopMetrics } from './hop-metrics.ts';

/** What the next hop answered: its status and its JSON body (a problem document on errors). */
export interface HopResponse {
  status: number;
  body: unknown;
}

/** The next hop answered 5xx (or not at all, after every try). */
export class UpstreamError extends PocError {
  readonly response: HopResponse | undefined;
  constructor(message: string, response?: HopResponse, cause?: unknown) {
    super(message, { cause, retriable: true });
    this.response = response;
  }
}

export const isUpstreamError = (e: unknown): e is UpstreamError => e instanceof UpstreamError;

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return { title: text.slice(0, 200) };
  }
}

/**
 * THE BUG. fetch with no signal: the only limits are undici's own 300 s header and body
 * timeouts. Any 5xx or network error is tried again, `attempts` times in all, at once.
 * Stacked at every layer, the tries multiply.
 */
export async function callWithoutTimeouts(
  url: URL,
  attempts: number,
  metrics: HopMetrics,
): Promise<HopResponse> {
  let last: HopResponse | undefined;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url);
      const response = { status: res.status, body: await readBody(res) };
      if (res.status < 500) {
        metrics.attempt(res.status < 400 ? 'ok' : 'client_error');
        return response;
      }
      metrics.attempt('server_error');
      last = response;
    } catch (err) {
      metrics.attempt('network_error');
      lastError = err;
    }
  }
  if (last) return last;
  throw new UpstreamError(`${url} failed ${attempts} times`, undefined, lastError);
}

/**
 * One call within the deadline: the next hop learns the budget left (minus our
 * reserve) and the call aborts when it runs out (DeadlineExceededError).
 */
export async function callOnce(
  url: URL,
  deadline: Deadline,
  reserveMs: number,
  metrics: HopMetrics,
): Promise<HopResponse> {
  try {
    const res = await fetchWithDeadline(url, deadline, { reserveMs });
    const response = { status: res.status, body: await readBody(res) };
    metrics.attempt(res.status < 400 ? 'ok' : res.status < 500 ? 'client_error' : 'server_error');
    return response;
  } catch (err) {
    metrics.attempt(
      isDeadlineExceededError(err) || deadline.expired() ? 'timeout' : 'network_error',
    );
    throw err;
  }
}
