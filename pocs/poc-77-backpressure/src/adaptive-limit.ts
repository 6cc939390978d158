/**
 * An adaptive concurrency limit in the spirit of TCP Vegas and Netflix's
 * concurrency-limits `VegasLimit` (https://github.com/Netflix/concurrency-limits).
 *
 * Little's law: in-flight = throughput × latency. While latency stays near the no-load
 * minimum, more in-flight requests mean more throughput, so the limit grows. Once latency
 * rises above the minimum, the extra requests only wait in a queue:
 * estimated queue = limit × (1 − minRtt / rtt). Above `beta` queued the limit shrinks.
 */
export interface VegasOptions {
  /** Grow while fewer than this many requests are estimated to be queued. */
  alpha: number;
  /** Shrink once more than this many are estimated to be queued. */
  beta: number;
  minLimit: number;
  maxLimit: number;
}

export const defaultVegasOptions: VegasOptions = { alpha: 3, beta: 6, minLimit: 1, maxLimit: 200 };

/** The pure step: the next limit after one latency sample. */
export function vegasNextLimit(
  limit: number,
  { rttMs, minRttMs }: { rttMs: number; minRttMs: number },
  { alpha, beta, minLimit, maxLimit }: VegasOptions = defaultVegasOptions,
): number {
  const queued = limit * (1 - minRttMs / Math.max(rttMs, minRttMs));
  let next = limit;
  if (queued < alpha) next = limit + 1;
  else if (queued > beta) next = limit - 1;
  return Math.min(maxLimit, Math.max(minLimit, next));
}

export interface AdaptiveLimit {
  readonly limit: number;
  readonly minRttMs: number;
  /** Feed the latency of one admitted request that completed. */
  onSample: (rttMs: number) => void;
}

/** Holds the limit and the lowest latency seen; the maths is `vegasNextLimit`. */
export function createAdaptiveLimit(
  initialLimit: number,
  options: Partial<VegasOptions> = {},
): AdaptiveLimit {
  const opts = { ...defaultVegasOptions, ...options };
  let limit = Math.min(opts.maxLimit, Math.max(opts.minLimit, initialLimit));
  let minRttMs = Number.POSITIVE_INFINITY;
  return {
    get limit() {
      return limit;
    },
    get minRttMs() {
      return minRttMs;
    },
    onSample: (rttMs) => {
      minRttMs = Math.min(minRttMs, rttMs);
      limit = vegasNextLimit(limit, { rttMs, minRttMs }, opts);
    },
  };
}
