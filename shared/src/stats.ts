/**
 * The one place the POCs compute percentiles, medians, means and extremes.
 *
 * Percentile method: nearest rank. For q in [0, 1] over n ascending samples the answer is
 * the sample at 1-based rank ceil(q · n), clamped to [1, n]: p0 is the minimum, p100 the
 * maximum, and every answer is a value that was measured (no interpolation between
 * samples). Median: the middle sample for odd n, the mean of the two middle samples for
 * even n (so median ≠ percentile(0.5) for even n: that one is the lower middle sample).
 *
 * Empty input throws EmptySampleError: a p99 of nothing is a bug in the caller, not 0.
 * Where "no samples" is a legitimate outcome, use percentileOrNull().
 *
 * No histogram library (hdr-histogram-js and the like): a bench keeps at most a few
 * hundred thousand samples, which sort in milliseconds, and the exact nearest-rank value
 * is what the tests assert on; a histogram would add bucket error and a dependency for no
 * gain at this size.
 */
import { PocError } from './errors.ts';

/** A statistic of zero samples was asked for. */
export class EmptySampleError extends PocError {
  constructor(what: string) {
    super(`${what} of an empty sample (0 values)`);
  }
}

export const isEmptySampleError = (e: unknown): e is EmptySampleError =>
  e instanceof EmptySampleError;

/** A percentile outside [0, 1] (or not a number). */
export class QuantileRangeError extends PocError {
  constructor(q: number) {
    super(`quantile must be between 0 and 1 (p99 is 0.99), got ${q}`);
  }
}

/** A new array, ascending. */
export const sortAsc = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

/** 0-based index of the nearest-rank q-quantile among n sorted samples. */
export function nearestRankIndex(n: number, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new QuantileRangeError(q);
  if (n === 0) throw new EmptySampleError(`percentile ${q}`);
  return Math.min(n, Math.max(1, Math.ceil(q * n))) - 1;
}

/**
 * Nearest-rank q-quantile (q in [0, 1]). Pass `{ sorted: true }` when `values` is already
 * ascending to skip the copy and sort. Throws EmptySampleError on no values.
 */
export function percentile(
  values: readonly number[],
  q: number,
  { sorted = false }: { sorted?: boolean } = {},
): number {
  const s = sorted ? values : sortAsc(values);
  return s[nearestRankIndex(s.length, q)]!;
}

/** percentile(), but null when there are no values. */
export function percentileOrNull(
  values: readonly number[],
  q: number,
  options: { sorted?: boolean } = {},
): number | null {
  return values.length === 0 ? null : percentile(values, q, options);
}

/** Middle value; mean of the two middle values for an even count. Throws on no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new EmptySampleError('median');
  const s = sortAsc(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Arithmetic mean. Throws on no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new EmptySampleError('mean');
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Smallest value (no spread into Math.min, so large samples do not overflow the stack). */
export function min(values: readonly number[]): number {
  if (values.length === 0) throw new EmptySampleError('min');
  let m = values[0]!;
  for (const v of values) if (v < m) m = v;
  return m;
}

/** Largest value. Throws on no values. */
export function max(values: readonly number[]): number {
  if (values.length === 0) throw new EmptySampleError('max');
  let m = values[0]!;
  for (const v of values) if (v > m) m = v;
  return m;
}

/**
 * Median of each numeric field across rounds; non-numeric fields come from the first
 * round, and a numeric field a later round lacks counts as 0 there.
 */
export function medianOfFields<T extends object>(rounds: readonly T[]): T {
  const first = rounds[0];
  if (!first) throw new EmptySampleError('medianOfFields');
  const out: Record<string, unknown> = { ...(first as Record<string, unknown>) };
  for (const [field, value] of Object.entries(first)) {
    if (typeof value !== 'number') continue;
    out[field] = median(rounds.map((r) => (r as Record<string, number>)[field] ?? 0));
  }
  return out as T;
}
