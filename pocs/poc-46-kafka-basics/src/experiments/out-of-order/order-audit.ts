/**
 * Counts, per key, what a consumer that applies events in arrival order would see.
 * Each event carries its key's sequence number (1, 2, 3, … per key, assigned by the
 * producer's business logic, not by Kafka).
 */
export interface OrderCounts {
  /** Events seen in total, duplicates included. */
  events: number;
  /** Events whose sequence is lower than one already seen for that key (regressions). */
  outOfOrder: number;
  /** Events whose sequence was already seen for that key (a retry that wrote twice). */
  duplicates: number;
  /**
   * First deliveries that arrived after a higher sequence of the same key: real
   * reordering, as opposed to a late duplicate (outOfOrder = late duplicates + these).
   */
  reorderedFirstDeliveries: number;
  /** Sequences expected but never seen (expected count per key minus distinct seen). */
  missing: number;
  /** Keys with at least one out-of-order event. */
  keysAffected: number;
}

export interface OrderAudit {
  observe(key: string, seq: number): 'in-order' | 'out-of-order' | 'duplicate-in-order';
  counts(expectedPerKey?: ReadonlyMap<string, number>): OrderCounts;
  /** Out-of-order events so far after each of `points` evenly spaced events: [seen, count]. */
  curve(points?: number): [seen: number, outOfOrder: number][];
}

export function createOrderAudit(): OrderAudit {
  const maxSeen = new Map<string, number>();
  const seen = new Map<string, Set<number>>();
  const affected = new Set<string>();
  let events = 0;
  let outOfOrder = 0;
  let duplicates = 0;
  let reorderedFirstDeliveries = 0;
  const outOfOrderSoFar: number[] = [];

  const classify = (key: string, seq: number): ReturnType<OrderAudit['observe']> => {
    events += 1;
    const max = maxSeen.get(key) ?? 0;
    let keySeen = seen.get(key);
    if (!keySeen) {
      keySeen = new Set();
      seen.set(key, keySeen);
    }
    const duplicate = keySeen.has(seq);
    keySeen.add(seq);
    if (duplicate) duplicates += 1;
    if (seq > max) {
      maxSeen.set(key, seq);
      return 'in-order';
    }
    if (seq === max) return 'duplicate-in-order';
    outOfOrder += 1;
    affected.add(key);
    if (!duplicate) reorderedFirstDeliveries += 1;
    return 'out-of-order';
  };

  return {
    observe(key, seq) {
      const verdict = classify(key, seq);
      outOfOrderSoFar.push(outOfOrder);
      return verdict;
    },
    counts(expectedPerKey) {
      let missing = 0;
      for (const [key, expected] of expectedPerKey ?? []) {
        missing += expected - (seen.get(key)?.size ?? 0);
      }
      return {
        events,
        outOfOrder,
        duplicates,
        reorderedFirstDeliveries,
        missing,
        keysAffected: affected.size,
      };
    },
    curve(points = 60) {
      const n = outOfOrderSoFar.length;
      if (n === 0) return [];
      const step = Math.max(1, Math.floor(n / points));
      const out: [number, number][] = [];
      for (let i = step; i < n; i += step) out.push([i, outOfOrderSoFar[i - 1] ?? 0]);
      out.push([n, outOfOrderSoFar[n - 1] ?? 0]);
      return out;
    },
  };
}
