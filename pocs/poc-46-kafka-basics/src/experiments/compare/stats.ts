import { max, percentileOrNull, sortAsc } from '@pocs/shared/stats';

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

/** Nearest-rank percentiles (@pocs/shared/stats), 0.1 ms; null fields when there are no samples. */
export function summarizeLatencies(latenciesMs: number[]): LatencySummary {
  const s = sortAsc(latenciesMs);
  // pct / 100 as before this used the shared module: 99.9 / 100 is 0.9990000000000001 in
  // floating point, so p99.9 of exactly 1000 samples is the 1000th, not the 999th.
  const p = (pct: number) => round1(percentileOrNull(s, pct / 100, { sorted: true }));
  return {
    count: s.length,
    p50Ms: p(50),
    p90Ms: p(90),
    p99Ms: p(99),
    p999Ms: p(99.9),
    maxMs: round1(s.length ? max(s) : null),
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
