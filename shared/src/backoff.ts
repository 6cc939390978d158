/**
 * Backoff delays as pure functions: `(attempt, options, random) => delayMs`.
 * The formulas are those of Marc Brooker, "Exponential Backoff And Jitter" (AWS
 * Architecture Blog, 2015). Randomness is injected, so a test can check exact sequences.
 */

/** A number in [0, 1), like Math.random. */
export type Random = () => number;

/**
 * - `none`: exponential without jitter, min(cap, base · 2^attempt). Clients that failed
 *   together retry together.
 * - `full`: random in [0, exponential).
 * - `equal`: half the exponential, plus random in [0, half).
 * - `decorrelated`: min(cap, random in [base, previous · 3)); depends on the previous delay.
 */
export type BackoffStrategy = 'none' | 'full' | 'equal' | 'decorrelated';

export const backoffStrategies: readonly BackoffStrategy[] = [
  'none',
  'full',
  'equal',
  'decorrelated',
];

export interface BackoffOptions {
  strategy: BackoffStrategy;
  /** The first delay's scale, ms. */
  baseMs: number;
  /** No delay is longer than this, ms. */
  capMs: number;
}

/** min(cap, base · 2^attempt); attempt 0 is the delay before the first retry. */
export function exponentialDelay(
  attempt: number,
  { baseMs, capMs }: Omit<BackoffOptions, 'strategy'>,
) {
  // 2 ** 1100 is Infinity, and min(cap, Infinity) is still cap: no overflow to worry about.
  return Math.min(capMs, baseMs * 2 ** attempt);
}

export function fullJitterDelay(
  attempt: number,
  options: Omit<BackoffOptions, 'strategy'>,
  random: Random,
) {
  return random() * exponentialDelay(attempt, options);
}

export function equalJitterDelay(
  attempt: number,
  options: Omit<BackoffOptions, 'strategy'>,
  random: Random,
) {
  const half = exponentialDelay(attempt, options) / 2;
  return half + random() * half;
}

/** min(cap, random in [base, previous · 3)); the first retry uses previous = base. */
export function decorrelatedJitterDelay(
  previousMs: number,
  { baseMs, capMs }: Omit<BackoffOptions, 'strategy'>,
  random: Random,
) {
  const upper = Math.max(baseMs, previousMs * 3);
  return Math.min(capMs, baseMs + random() * (upper - baseMs));
}

/**
 * The delay before retry number `attempt + 1` for any strategy. `previousMs` (the last
 * delay returned) matters only to `decorrelated`; pass undefined before the first retry.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: Random = Math.random,
  previousMs?: number,
): number {
  switch (options.strategy) {
    case 'none':
      return exponentialDelay(attempt, options);
    case 'full':
      return fullJitterDelay(attempt, options, random);
    case 'equal':
      return equalJitterDelay(attempt, options, random);
    case 'decorrelated':
      return decorrelatedJitterDelay(previousMs ?? options.baseMs, options, random);
  }
}

/** The delays a client would sleep before each of `retries` retries, in order. */
export function backoffSequence(
  retries: number,
  options: BackoffOptions,
  random: Random = Math.random,
) {
  const delays: number[] = [];
  let previous: number | undefined;
  for (let attempt = 0; attempt < retries; attempt++) {
    previous = backoffDelay(attempt, options, random, previous);
    delays.push(previous);
  }
  return delays;
}

/**
 * A seeded generator (mulberry32): the same seed gives the same numbers on every machine,
 * so a simulation or a test can be replayed exactly.
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
