/**
 * Consumer-side sequence check: an event is applied only when its sequence is exactly
 * the key's last applied + 1. A higher one is a gap (something earlier is late or lost):
 * it is parked and applied as soon as the gap fills. A lower or equal one was already
 * applied: dropped. In production `lastApplied` lives next to the state it protects
 * (a version column updated in the same transaction) and parked events go to a retry
 * topic with a deadline; here both are in memory.
 */
export interface SequenceGuardStats {
  applied: number;
  /** Events that arrived ahead of a missing predecessor (reordering detected). */
  gapsDetected: number;
  duplicatesDropped: number;
  /** Still waiting for a predecessor. Non-zero at the end means events were lost. */
  parked: number;
}

export interface SequenceGuard {
  offer(key: string, seq: number): 'applied' | 'parked' | 'duplicate';
  stats(): SequenceGuardStats;
}

export function createSequenceGuard(apply: (key: string, seq: number) => void): SequenceGuard {
  const lastApplied = new Map<string, number>();
  const parked = new Map<string, Set<number>>();
  let applied = 0;
  let gapsDetected = 0;
  let duplicatesDropped = 0;
  let parkedNow = 0;

  const applyInOrder = (key: string, seq: number) => {
    apply(key, seq);
    applied += 1;
    lastApplied.set(key, seq);
    const waiting = parked.get(key);
    let next = seq + 1;
    while (waiting?.delete(next)) {
      parkedNow -= 1;
      apply(key, next);
      applied += 1;
      lastApplied.set(key, next);
      next += 1;
    }
  };

  return {
    offer(key, seq) {
      const last = lastApplied.get(key) ?? 0;
      const waiting = parked.get(key);
      if (seq <= last || waiting?.has(seq)) {
        duplicatesDropped += 1;
        return 'duplicate';
      }
      if (seq === last + 1) {
        applyInOrder(key, seq);
        return 'applied';
      }
      gapsDetected += 1;
      parkedNow += 1;
      if (waiting) waiting.add(seq);
      else parked.set(key, new Set([seq]));
      return 'parked';
    },
    stats: () => ({ applied, gapsDetected, duplicatesDropped, parked: parkedNow }),
  };
}
