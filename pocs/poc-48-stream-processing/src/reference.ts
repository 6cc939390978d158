import type { PlacedEvent } from './generator.ts';
import {
  applyEvent,
  closeWindows,
  emptyPartitionState,
  type WindowSpec,
  windowKey,
} from './windows.ts';

export interface ReferenceResults {
  /** Final count per `key|windowStart`, as the output topic should hold it. */
  results: Map<string, number>;
  counted: number;
  lateDropped: number;
}

/**
 * What a correct processor emits for this input: each partition replayed in order, once,
 * with no crash. Tests compare every Kafka run against this.
 */
export function referenceResults(events: PlacedEvent[], spec: WindowSpec): ReferenceResults {
  const states = new Map<number, ReturnType<typeof emptyPartitionState>>();
  const results = new Map<string, number>();
  let counted = 0;
  let lateDropped = 0;
  for (const { partition, event } of events) {
    const state = states.get(partition) ?? emptyPartitionState();
    states.set(partition, state);
    const applied = applyEvent(state, event, '0', spec);
    if (applied.outcome === 'late') lateDropped++;
    else counted++;
    for (const w of closeWindows(state, spec))
      results.set(windowKey(w.key, w.windowStart), w.count);
  }
  return { results, counted, lateDropped };
}

export interface ResultDiff {
  /** Windows whose count differs, or that only one side has. */
  windowsDiffering: number;
  /** Sum over windows of (expected - actual) where actual is lower. */
  missingCounts: number;
  /** Sum over windows of (actual - expected) where actual is higher. */
  extraCounts: number;
}

/** Compare final results window by window. Everything 0 means identical. */
export function diffResults(
  expected: Map<string, number>,
  actual: Map<string, number>,
): ResultDiff {
  const diff: ResultDiff = { windowsDiffering: 0, missingCounts: 0, extraCounts: 0 };
  for (const id of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(id) ?? 0;
    const a = actual.get(id) ?? 0;
    if (e === a) continue;
    diff.windowsDiffering++;
    if (a < e) diff.missingCounts += e - a;
    else diff.extraCounts += a - e;
  }
  return diff;
}
