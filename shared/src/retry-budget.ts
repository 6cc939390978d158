/**
 * A retry budget: a token bucket shared by every call to one dependency. Each success
 * deposits `ratio` tokens (0.1), each retry spends 1, and the bucket holds at most
 * `maxTokens`. So retries stay near `ratio` of successful traffic, and under total failure
 * they stop once the bucket is empty instead of multiplying the load by the attempt count.
 * The maths is pure (`depositTokens`, `withdrawToken`); `createRetryBudget` holds the state.
 */

export interface RetryBudgetOptions {
  /** Tokens deposited per success, i.e. retries allowed per success (default 0.1). */
  ratio?: number;
  /** The bucket's capacity, i.e. the largest burst of retries (default 10). */
  maxTokens?: number;
  /** Tokens at start (default maxTokens). */
  initialTokens?: number;
}

// Sums of 0.1 drift (0.1 + 0.2 !== 0.3); nine decimals keep exact sequences exact.
const tidy = (n: number) => Math.round(n * 1e9) / 1e9;

/** The balance after one success. */
export const depositTokens = (tokens: number, ratio: number, maxTokens: number): number =>
  Math.min(maxTokens, tidy(tokens + ratio));

/** The balance after one retry, or null when the budget does not allow it. */
export const withdrawToken = (tokens: number): number | null =>
  tokens >= 1 ? tidy(tokens - 1) : null;

export interface RetryBudget {
  /** Record a success: deposit `ratio` tokens. */
  recordSuccess(): void;
  /** Ask to retry: spends a token and returns true, or returns false when the budget is spent. */
  tryRetry(): boolean;
  readonly tokens: number;
  /** Retries refused since creation: each one is a failure passed straight to the caller. */
  readonly refused: number;
}

export function createRetryBudget({
  ratio = 0.1,
  maxTokens = 10,
  initialTokens = maxTokens,
}: RetryBudgetOptions = {}): RetryBudget {
  if (!(ratio >= 0) || !(maxTokens >= 1) || !(initialTokens >= 0) || initialTokens > maxTokens) {
    throw new RangeError(
      `retry budget needs ratio ≥ 0, maxTokens ≥ 1 and 0 ≤ initialTokens ≤ maxTokens; got ratio ${ratio}, maxTokens ${maxTokens}, initialTokens ${initialTokens}`,
    );
  }
  let tokens = initialTokens;
  let refused = 0;
  return {
    recordSuccess() {
      tokens = depositTokens(tokens, ratio, maxTokens);
    },
    tryRetry() {
      const next = withdrawToken(tokens);
      if (next === null) {
        refused++;
        return false;
      }
      tokens = next;
      return true;
    },
    get tokens() {
      return tokens;
    },
    get refused() {
      return refused;
    },
  };
}
