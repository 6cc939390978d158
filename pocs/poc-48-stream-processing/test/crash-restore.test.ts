import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExperiment, type Experiment } from '../src/experiments/crash-restore.ts';
import { brokers, CHILD_PORT } from './services.ts';

/**
 * The break, against the real Kafka: a child process SIGKILLed a third of the way in,
 * restarted, and its output compared window by window with the reference results of
 * the same seeded input. The runs share one input topic and one port, so they run in
 * sequence (vitest runs the tests of a file in order).
 */
const EVENTS = 6_000;
const KILL_AFTER = 2_000;
let experiment: Experiment;

beforeAll(async () => {
  experiment = await createExperiment({
    brokers,
    partitions: 3,
    seed: 48,
    events: EVENTS,
    keys: 12,
    windowSizeMs: 10_000,
    graceMs: 5_000,
  });
}, 60_000);

afterAll(async () => {
  await experiment?.cleanup();
}, 60_000);

describe('crash and restore of the windowed count', () => {
  it('an uninterrupted run emits exactly the reference windows and drops exactly the late events', async () => {
    const r = await experiment.run({
      name: 'clean',
      guarantee: 'exactly_once_v2',
      port: CHILD_PORT,
    });
    expect(r.diff).toEqual({ windowsDiffering: 0, missingCounts: 0, extraCounts: 0 });
    expect(r.windowsEmitted).toBe(experiment.reference.results.size);
    expect(r.final.lateDropped).toBe(experiment.reference.lateDropped);
    expect(r.final.processed).toBe(experiment.inputEvents);
  });

  it('exactly_once_v2: SIGKILL mid-stream, restore from the changelog, same windows (0 differ)', async () => {
    const r = await experiment.run({
      name: 'eos',
      guarantee: 'exactly_once_v2',
      port: CHILD_PORT,
      killAfterEvents: KILL_AFTER,
    });
    // The kill really landed mid-stream, with windows open and work not yet committed.
    expect(r.kill?.processedBeforeKill).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(r.kill?.committedOffsetsAtKill).toBeLessThan(experiment.inputEvents);
    expect(r.kill?.openWindowsBeforeKill).toBeGreaterThan(0);
    expect(r.final.restore?.records).toBeGreaterThan(0);
    // Restored state and committed offsets agree: nothing will be counted twice.
    expect(
      Object.values(r.final.restore?.changelogAheadOfOffsets ?? {}).every((n) => n === 0),
    ).toBe(true);
    expect(r.diff).toEqual({ windowsDiffering: 0, missingCounts: 0, extraCounts: 0 });
    expect(r.windowsEmitted).toBe(experiment.reference.results.size);
    expect(r.countedInOutput).toBe(experiment.reference.counted - 3); // the 3 ticks stay open
    expect(r.final.lateDropped).toBe(experiment.reference.lateDropped);
    expect(r.final.processed).toBe(experiment.inputEvents);
  });

  it('BREAK_NO_CHANGELOG: the same crash loses the counts of the windows that were open', async () => {
    const r = await experiment.run({
      name: 'memory',
      guarantee: 'at_least_once',
      noChangelog: true,
      port: CHILD_PORT,
      killAfterEvents: KILL_AFTER,
    });
    expect(r.kill?.committedOffsetsAtKill).toBeGreaterThan(0);
    expect(r.final.restore).toBeNull();
    expect(r.diff.missingCounts).toBeGreaterThan(0);
    expect(r.diff.windowsDiffering).toBeGreaterThan(0);
  });

  it('at_least_once: the changelog runs ahead of the committed offsets, the replay counts twice', async () => {
    const r = await experiment.run({
      name: 'alos',
      guarantee: 'at_least_once',
      commitIntervalMs: 3_000,
      port: CHILD_PORT,
      killAfterEvents: KILL_AFTER,
    });
    const ahead = Object.values(r.final.restore?.changelogAheadOfOffsets ?? {}).reduce(
      (a, b) => a + b,
      0,
    );
    expect(ahead).toBeGreaterThan(0);
    // Every event past the committed offsets is taken a second time...
    expect(r.final.processed).toBe(experiment.inputEvents + ahead);
    // ...and the ones that still fall in an open window are counted twice.
    expect(r.diff.extraCounts).toBeGreaterThan(0);
    expect(r.diff.windowsDiffering).toBeGreaterThan(0);
  });
});
