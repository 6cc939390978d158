/**
 * Poll a condition until it holds or a deadline passes. Tests and scripts use this
 * instead of bare sleeps, so they wait exactly as long as needed and fail with a reason.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  {
    timeoutMs,
    intervalMs = 25,
    description = 'condition',
  }: { timeoutMs: number; intervalMs?: number; description?: string },
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`, {
        cause: lastError,
      });
    }
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
