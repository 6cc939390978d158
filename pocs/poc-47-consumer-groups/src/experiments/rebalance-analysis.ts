/**
 * Pure maths of the rebalance-protocols experiment: from the deliveries and assignment
 * reports of one round, how long each partition and each remaining member stopped
 * delivering around the event, and how many messages were delivered twice.
 */

export interface Delivery {
  member: number;
  partition: number;
  offset: number;
  receivedAt: number;
  /** The record's timestamp, stamped by the producer. */
  producedAt: number;
}

export interface AssignmentChange {
  member: number;
  at: number;
  partitions: number[];
}

export interface RoundTrace {
  partitions: number;
  deliveries: Delivery[];
  assignments: AssignmentChange[];
  /** Members present before the event (joiner excluded). */
  membersBefore: number[];
  /** Members present after it (leaver/crashed member excluded). */
  membersAfter: number[];
  /** The member that joined, or left / crashed. */
  subject: number;
  eventAt: number;
  settledAt: number;
  /** Length of the quiet window before the event that gives each partition's usual gap. */
  baselineMs: number;
}

export interface PartitionOutcome {
  partition: number;
  ownerBefore: number | null;
  ownerAfter: number | null;
  /** Owner changed across the event. */
  moved: boolean;
  /** Longest produce-to-first-delivery wait of a message pending around the event. */
  pauseMs: number;
  /** The same, for messages produced and delivered in the baseline window. */
  baselineMs: number;
  /** Longest gap between first deliveries around the event (includes producer stalls). */
  gapMs: number;
  /** Deliveries of an offset already delivered, received at or after the event. */
  duplicates: number;
  /** Deliveries received between the event and the settle time. */
  deliveriesDuringRebalance: number;
}

export interface MemberOutcome {
  member: number;
  before: number[];
  after: number[];
  /** Partitions it owned both before and after the event. */
  kept: number[];
  /** Its own assignment reports after the event (0: the event never touched it). */
  assignmentChanges: number;
  /** Longest wait of a message on its kept partitions around the event (null: it kept none). */
  pauseMs: number | null;
  baselineMs: number | null;
  /** Deliveries on its kept partitions between the event and the settle time. */
  keptDeliveriesDuringRebalance: number;
}

export interface RoundAnalysis {
  settleMs: number;
  partitions: PartitionOutcome[];
  remaining: MemberOutcome[];
  /** Max pause over partitions owned by members that stayed (kept or moved). */
  groupMaxPauseMs: number;
  /** Max pause over partitions that stayed with their (remaining) owner (null: none did). */
  keptMaxPauseMs: number | null;
  /** Max pause over partitions a remaining member handed to another member (null: none). */
  movedMaxPauseMs: number | null;
  /** Max pause over the partitions of the member that left or crashed (0 for a join). */
  subjectPartitionsMaxPauseMs: number;
  /** Longest wait of any message in the baseline window: the noise floor. */
  baselineMaxMs: number;
  duplicates: { total: number; onMovedPartitions: number; onKeptPartitions: number };
  /**
   * Eager stop-the-world: an instant at which every remaining member owned nothing (each
   * reported an empty assignment after the event, and all those empty spans overlap).
   */
  everyoneRevokedAtOnce: boolean;
}

/** Each member's partitions at time t, from its latest report at or before t. */
export function assignmentAt(changes: AssignmentChange[], member: number, t: number): number[] {
  let current: number[] = [];
  for (const c of changes) {
    if (c.member === member && c.at <= t) current = c.partitions;
  }
  return current;
}

function ownerOf(
  changes: AssignmentChange[],
  members: number[],
  partition: number,
  t: number,
): number | null {
  for (const m of members) if (assignmentAt(changes, m, t).includes(partition)) return m;
  return null;
}

/** The first delivery of each offset of `partitions`, by receive time. */
function firstDeliveries(deliveries: Delivery[], partitions: number[]): Delivery[] {
  const first = new Map<string, Delivery>();
  for (const d of deliveries) {
    if (!partitions.includes(d.partition)) continue;
    const key = `${d.partition}:${d.offset}`;
    const seen = first.get(key);
    if (!seen || d.receivedAt < seen.receivedAt) first.set(key, d);
  }
  return [...first.values()].sort((a, b) => a.receivedAt - b.receivedAt);
}

/**
 * Longest wait of a message between produce and first delivery: the pause a rebalance
 * inflicts on a partition, immune to producer stalls (a gap in deliveries is not).
 * `around`: messages that were waiting at some point in [from, to] (received at or after
 * `from`, produced at or before `to`); otherwise only those produced and received inside.
 */
export function longestWait(firsts: Delivery[], from: number, to: number, around = true): number {
  let longest = 0;
  for (const d of firsts) {
    const counts = around
      ? d.receivedAt >= from && d.producedAt <= to
      : d.producedAt >= from && d.receivedAt < to;
    if (counts) longest = Math.max(longest, d.receivedAt - d.producedAt);
  }
  return longest;
}

/**
 * Longest gap between consecutive times that overlaps [from, to]; with `inside`, only
 * gaps that lie entirely inside the window count (the baseline).
 */
export function longestGap(times: number[], from: number, to: number, inside = false): number {
  let longest = 0;
  for (let i = 1; i < times.length; i++) {
    const start = times[i - 1] as number;
    const end = times[i] as number;
    const counts = inside ? start >= from && end <= to : end > from && start < to;
    if (counts) longest = Math.max(longest, end - start);
  }
  return longest;
}

export function analyseRound(t: RoundTrace): RoundAnalysis {
  const all = Array.from({ length: t.partitions }, (_, p) => p);
  const baseFrom = t.eventAt - t.baselineMs;
  const partitions: PartitionOutcome[] = all.map((p) => {
    const firsts = firstDeliveries(t.deliveries, [p]);
    const times = firsts.map((d) => d.receivedAt);
    const ownerBefore = ownerOf(t.assignments, t.membersBefore, p, t.eventAt);
    const ownerAfter = ownerOf(t.assignments, t.membersAfter, p, t.settledAt);
    const seen = new Set<number>();
    let duplicates = 0;
    for (const d of [...t.deliveries].sort((a, b) => a.receivedAt - b.receivedAt)) {
      if (d.partition !== p) continue;
      if (seen.has(d.offset) && d.receivedAt >= t.eventAt) duplicates++;
      seen.add(d.offset);
    }
    return {
      partition: p,
      ownerBefore,
      ownerAfter,
      moved: ownerBefore !== ownerAfter,
      pauseMs: longestWait(firsts, t.eventAt, t.settledAt),
      baselineMs: longestWait(firsts, baseFrom, t.eventAt, false),
      gapMs: longestGap(times, t.eventAt, t.settledAt),
      duplicates,
      deliveriesDuringRebalance: t.deliveries.filter(
        (d) => d.partition === p && d.receivedAt >= t.eventAt && d.receivedAt <= t.settledAt,
      ).length,
    };
  });
  const remainingIds = t.membersBefore.filter((m) => t.membersAfter.includes(m));
  const remaining: MemberOutcome[] = remainingIds.map((m) => {
    const before = assignmentAt(t.assignments, m, t.eventAt);
    const after = assignmentAt(t.assignments, m, t.settledAt);
    const kept = before.filter((p) => after.includes(p));
    const firsts = firstDeliveries(t.deliveries, kept);
    return {
      member: m,
      before,
      after,
      kept,
      assignmentChanges: t.assignments.filter(
        (c) => c.member === m && c.at > t.eventAt && c.at <= t.settledAt,
      ).length,
      pauseMs: kept.length ? longestWait(firsts, t.eventAt, t.settledAt) : null,
      baselineMs: kept.length ? longestWait(firsts, baseFrom, t.eventAt, false) : null,
      keptDeliveriesDuringRebalance: t.deliveries.filter(
        (d) =>
          d.member === m &&
          kept.includes(d.partition) &&
          d.receivedAt >= t.eventAt &&
          d.receivedAt <= t.settledAt,
      ).length,
    };
  });
  // Stop-the-world check: each remaining member's first empty span after the event.
  const emptySpans = remainingIds.map((m) => {
    const mine = t.assignments.filter((c) => c.member === m && c.at > t.eventAt);
    const emptyIdx = mine.findIndex((c) => c.partitions.length === 0);
    if (emptyIdx < 0) return null;
    const refilled = mine.slice(emptyIdx + 1).find((c) => c.partitions.length > 0);
    return { from: (mine[emptyIdx] as AssignmentChange).at, to: refilled?.at ?? Infinity };
  });
  const everyoneRevokedAtOnce =
    emptySpans.length > 0 &&
    emptySpans.every((s) => s !== null) &&
    Math.max(...emptySpans.map((s) => (s as { from: number }).from)) <
      Math.min(...emptySpans.map((s) => (s as { to: number }).to));
  const fromRemaining = partitions.filter(
    (p) => p.ownerBefore !== null && remainingIds.includes(p.ownerBefore),
  );
  const fromSubject = partitions.filter((p) => p.ownerBefore === t.subject);
  const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
  const maxOrNull = (xs: number[]) => (xs.length ? max(xs) : null);
  return {
    settleMs: t.settledAt - t.eventAt,
    partitions,
    remaining,
    groupMaxPauseMs: max(fromRemaining.map((p) => p.pauseMs)),
    keptMaxPauseMs: maxOrNull(fromRemaining.filter((p) => !p.moved).map((p) => p.pauseMs)),
    movedMaxPauseMs: maxOrNull(fromRemaining.filter((p) => p.moved).map((p) => p.pauseMs)),
    subjectPartitionsMaxPauseMs: max(fromSubject.map((p) => p.pauseMs)),
    baselineMaxMs: max(partitions.map((p) => p.baselineMs)),
    duplicates: {
      total: partitions.reduce((s, p) => s + p.duplicates, 0),
      onMovedPartitions: partitions.filter((p) => p.moved).reduce((s, p) => s + p.duplicates, 0),
      onKeptPartitions: partitions.filter((p) => !p.moved).reduce((s, p) => s + p.duplicates, 0),
    },
    everyoneRevokedAtOnce,
  };
}
