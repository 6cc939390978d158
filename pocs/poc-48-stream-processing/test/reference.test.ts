import { describe, expect, it } from 'vitest';
import { createRestorer, metaRecord, windowRecord } from '../src/changelog.ts';
import { generateEvents } from '../src/generator.ts';
import { diffResults, referenceResults } from '../src/reference.ts';
import { applyEvent, emptyPartitionState } from '../src/windows.ts';

const options = {
  seed: 48,
  events: 3_000,
  keys: 12,
  partitions: 3,
  windowSizeMs: 10_000,
  graceMs: 5_000,
};

describe('seeded input and reference results', () => {
  it('the same seed gives the same events; another seed does not', () => {
    expect(generateEvents(options)).toEqual(generateEvents(options));
    expect(generateEvents({ ...options, seed: 49 })).not.toEqual(generateEvents(options));
  });

  it('the input holds out-of-order events within grace and late ones past it', () => {
    const ref = referenceResults(
      generateEvents(options),
      options && { sizeMs: 10_000, graceMs: 5_000 },
    );
    expect(ref.lateDropped).toBeGreaterThan(0);
    expect(ref.counted + ref.lateDropped).toBe(options.events + options.partitions);
    const placed = generateEvents(options);
    const outOfOrder = placed.filter(
      (p, i) => i > 0 && p.event.eventTime < placed[i - 1]!.event.eventTime,
    );
    expect(outOfOrder.length).toBeGreaterThan(ref.lateDropped);
  });

  it('the final ticks close every real window: emitted counts = counted events - the ticks', () => {
    const ref = referenceResults(generateEvents(options), { sizeMs: 10_000, graceMs: 5_000 });
    const emitted = [...ref.results.values()].reduce((a, b) => a + b, 0);
    expect(emitted).toBe(ref.counted - options.partitions);
  });

  it('diffResults counts missing and extra counts exactly', () => {
    const expected = new Map([
      ['a|0', 5],
      ['b|0', 2],
    ]);
    const actual = new Map([
      ['a|0', 3],
      ['c|0', 4],
    ]);
    expect(diffResults(expected, actual)).toEqual({
      windowsDiffering: 3,
      missingCounts: 4,
      extraCounts: 4,
    });
    expect(diffResults(expected, new Map(expected))).toEqual({
      windowsDiffering: 0,
      missingCounts: 0,
      extraCounts: 0,
    });
  });
});

describe('changelog records', () => {
  it('replaying updates, tombstones and meta rebuilds the same state', () => {
    const spec = { sizeMs: 10_000, graceMs: 5_000 };
    const s = emptyPartitionState();
    const a = applyEvent(s, { key: 'a', eventTime: 1_000 }, '7', spec);
    const b = applyEvent(s, { key: 'b', eventTime: 2_000 }, '8', spec);
    if (a.outcome !== 'counted' || b.outcome !== 'counted') throw new Error('expected counted');
    const restorer = createRestorer();
    const apply = (r: { key: string; value: string | null }) =>
      restorer.apply(1, {
        key: Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(r.value),
      });
    apply(windowRecord('a|0', a.window));
    apply(windowRecord('b|0', b.window));
    apply(windowRecord('b|0', null));
    apply(metaRecord(s, 9));
    const restored = restorer.partitions.get(1);
    expect(restored?.nextOffset).toBe(9);
    expect(restored?.state.streamTime).toBe(2_000);
    expect(restored?.state.processed).toBe(2);
    expect([...(restored?.state.windows.values() ?? [])]).toEqual([
      { key: 'a', windowStart: 0, count: 1, lastOffset: '7' },
    ]);
  });
});
