/** Median of each numeric field across rounds (non-numeric fields from the first round). */
export function medianOf<T extends object>(rounds: readonly T[]): T {
  const first = rounds[0];
  if (!first) throw new Error('medianOf needs at least one round');
  const out: Record<string, unknown> = { ...(first as Record<string, unknown>) };
  for (const [field, value] of Object.entries(first)) {
    if (typeof value !== 'number') continue;
    const sorted = rounds
      .map((r) => (r as Record<string, number>)[field] ?? 0)
      .sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    out[field] =
      sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  }
  return out as T;
}
