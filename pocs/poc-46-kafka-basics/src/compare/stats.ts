/** Nearest-rank percentile of an ascending array; null when empty. */
export function percentile(sortedAsc: readonly number[], q: number): number | null {
  if (sortedAsc.length === 0) return null;
  const rank = Math.ceil((q / 100) * sortedAsc.length);
  return sortedAsc[Math.min(sortedAsc.length, Math.max(1, rank)) - 1] ?? null;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const round1 = (v: number | null): number | null =>
  v === null ? null : Math.round(v * 10) / 10;

export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
}

export function summarizeLatencies(latenciesMs: number[]): LatencySummary {
  const s = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: s.length,
    p50Ms: round1(percentile(s, 50)),
    p90Ms: round1(percentile(s, 90)),
    p99Ms: round1(percentile(s, 99)),
    p999Ms: round1(percentile(s, 99.9)),
    maxMs: round1(s.at(-1) ?? null),
  };
}

/**
 * Watches deliveries in the order the application processed them. Per key:
 * - a duplicate is an id seen before (redelivery, re-read after a rebalance);
 * - out of order is a first-time delivery whose seq is below the highest seq already
 *   processed for that key (a later order of the customer overtook it).
 */
export interface DeliveryLedger {
  observe(id: number, key: string, seq: number): void;
  readonly distinct: number;
  readonly deliveries: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  has(id: number): boolean;
}

export function createDeliveryLedger(): DeliveryLedger {
  const seen = new Set<number>();
  const maxSeqByKey = new Map<string, number>();
  let deliveries = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  return {
    observe(id, key, seq) {
      deliveries++;
      if (seen.has(id)) {
        duplicates++;
        return;
      }
      seen.add(id);
      const max = maxSeqByKey.get(key) ?? 0;
      if (seq < max) outOfOrder++;
      else maxSeqByKey.set(key, seq);
    },
    get distinct() {
      return seen.size;
    },
    get deliveries() {
      return deliveries;
    },
    get duplicates() {
      return duplicates;
    },
    get outOfOrder() {
      return outOfOrder;
    },
    has: (id) => seen.has(id),
  };
}
