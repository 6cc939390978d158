import { parseBrokers } from '@pocs/kafka';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { analyseRound, type Delivery } from '../src/experiments/rebalance-analysis.ts';
import { defaultRoundOptions, runRebalanceRound } from '../src/experiments/rebalance-protocols.ts';

// Small knobs: one join round per protocol. Each round has its own topic and group.
const round = (client: 'kafkajs' | 'platformatic', protocol: 'classic' | 'consumer') =>
  runRebalanceRound({
    ...defaultRoundOptions,
    baselineMs: 1_000,
    variant: { client, protocol },
    event: 'join',
    brokers: parseBrokers(loadConfig().KAFKA_BROKERS),
    settleDeadlineMs: 30_000,
  });

describe('rebalance analysis (pure)', () => {
  it('measures the longest wait per partition, kept vs moved partitions, duplicates after the event', () => {
    const d = (
      member: number,
      partition: number,
      offset: number,
      producedAt: number,
      receivedAt: number,
    ): Delivery => ({
      member,
      partition,
      offset,
      producedAt,
      receivedAt,
    });
    const r = analyseRound({
      partitions: 2,
      membersBefore: [1],
      membersAfter: [1, 2],
      subject: 2,
      eventAt: 1_000,
      settledAt: 2_000,
      baselineMs: 1_000,
      assignments: [
        { member: 1, at: 0, partitions: [0, 1] },
        { member: 1, at: 1_400, partitions: [0] },
        { member: 2, at: 1_500, partitions: [1] },
      ],
      deliveries: [
        d(1, 0, 0, 100, 110),
        d(1, 0, 1, 900, 905),
        d(1, 0, 2, 1_100, 1_120),
        d(1, 1, 0, 500, 530),
        d(1, 1, 1, 1_200, 1_210),
        d(2, 1, 1, 1_200, 1_600), // redelivered by the new owner
        d(2, 1, 2, 1_300, 1_650),
      ],
    });
    expect(r.partitions.map((p) => [p.ownerBefore, p.ownerAfter, p.moved])).toEqual([
      [1, 1, false],
      [1, 2, true],
    ]);
    expect(r.partitions.map((p) => p.pauseMs)).toEqual([20, 350]);
    expect(r.partitions.map((p) => p.baselineMs)).toEqual([10, 30]);
    expect(r.duplicates).toEqual({ total: 1, onMovedPartitions: 1, onKeptPartitions: 0 });
    expect(r.remaining).toHaveLength(1);
    expect(r.remaining[0]).toMatchObject({
      member: 1,
      kept: [0],
      assignmentChanges: 1,
      pauseMs: 20,
    });
    expect(r.groupMaxPauseMs).toBe(350);
    expect([r.keptMaxPauseMs, r.movedMaxPauseMs]).toEqual([20, 350]);
    expect(r.everyoneRevokedAtOnce).toBe(false);
  });
});

describe('stop-the-world detection (pure)', () => {
  const trace = (emptySpans: [number, number][]) =>
    analyseRound({
      partitions: 2,
      membersBefore: [1, 2],
      membersAfter: [1, 2, 3],
      subject: 3,
      eventAt: 1_000,
      settledAt: 3_000,
      baselineMs: 1_000,
      deliveries: [],
      assignments: [
        { member: 1, at: 0, partitions: [0] },
        { member: 2, at: 0, partitions: [1] },
        ...emptySpans.flatMap(([from, to], i) => [
          { member: i + 1, at: from, partitions: [] },
          { member: i + 1, at: to, partitions: [i] },
        ]),
      ],
    });

  it('holds when every remaining member owned nothing at one same instant', () => {
    expect(
      trace([
        [1_100, 1_500],
        [1_300, 1_600],
      ]).everyoneRevokedAtOnce,
    ).toBe(true);
  });

  it('does not hold when the empty spans do not overlap, or a member never emptied', () => {
    expect(
      trace([
        [1_100, 1_200],
        [1_300, 1_600],
      ]).everyoneRevokedAtOnce,
    ).toBe(false);
    expect(trace([[1_100, 1_500]]).everyoneRevokedAtOnce).toBe(false);
  });
});

describe('a member joins a group of 3 under load (6 partitions)', () => {
  it('classic protocol (kafkajs, eager): every remaining member revokes everything, all at once', async () => {
    const r = await round('kafkajs', 'classic');
    expect(r.complete).toBe(true);
    expect(r.unique).toBe(r.produced);
    // Each remaining member went through an empty assignment, and those spans overlap:
    // an instant when no member of the group owned any partition (stop-the-world).
    expect(r.remaining).toHaveLength(3);
    for (const m of r.remaining) expect(m.assignmentChanges).toBeGreaterThanOrEqual(2);
    expect(r.everyoneRevokedAtOnce).toBe(true);
    expect(r.partitions.filter((p) => p.ownerAfter === r.subject).length).toBeGreaterThanOrEqual(1);
  });

  it('consumer protocol (KIP-848): members whose partitions did not move are never touched and keep delivering', async () => {
    const r = await round('platformatic', 'consumer');
    expect(r.complete).toBe(true);
    expect(r.unique).toBe(r.produced);
    expect(r.everyoneRevokedAtOnce).toBe(false);
    // 6 partitions over 4 members: the joiner takes 1 or 2, so at most 2 members give one up.
    const moved = r.partitions.filter((p) => p.moved);
    expect(moved.length).toBeGreaterThanOrEqual(1);
    expect(moved.length).toBeLessThanOrEqual(2);
    for (const p of moved) expect(p.ownerAfter).toBe(r.subject);
    // No remaining member ever owned nothing, and at least one was not touched at all.
    expect(r.timeline.filter((c) => c.member !== r.subject && c.partitions.length === 0)).toEqual(
      [],
    );
    const untouched = r.remaining.filter((m) => m.assignmentChanges === 0);
    expect(untouched.length).toBeGreaterThanOrEqual(1);
    for (const m of untouched) {
      expect(m.after).toEqual(m.before);
      for (const p of m.kept) {
        const outcome = r.partitions[p];
        // It delivered on each of its partitions while the group was rebalancing...
        expect(outcome?.deliveriesDuringRebalance).toBeGreaterThan(0);
        // ...and nothing twice: its position was never reset.
        expect(outcome?.duplicates).toBe(0);
      }
    }
  });
});
