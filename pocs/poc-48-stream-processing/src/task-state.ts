import type { Message } from 'kafkajs';
import { type ChangelogRecord, metaRecord, windowRecord } from './changelog.ts';
import {
  closeWindows,
  emptyPartitionState,
  type PartitionState,
  type WindowCount,
  type WindowSpec,
  windowKey,
} from './windows.ts';

/** What one commit writes, taken at one instant: changelog records, results, offsets. */
export interface Snapshot {
  changelog: { partition: number; record: ChangelogRecord }[];
  outputs: { partition: number; message: Message }[];
  offsets: { partition: number; offset: string }[];
  events: number;
}

/**
 * The task's state per input partition (open windows, stream time), plus what changed
 * since the last snapshot: the partitions with uncommitted events, the windows they
 * touched, and the next offset to commit for each.
 */
export function createTaskState({ spec, changelog }: { spec: WindowSpec; changelog: boolean }) {
  const states = new Map<number, PartitionState>();
  const dirty = new Map<number, Set<string>>();
  const nextOffsets = new Map<number, string>();
  let pendingEvents = 0;

  const stateOf = (partition: number) => {
    let s = states.get(partition);
    if (!s) {
      s = emptyPartitionState();
      states.set(partition, s);
    }
    return s;
  };
  /** Marks the partition as having uncommitted events; returns the windows they changed. */
  const touched = (partition: number) => {
    let ids = dirty.get(partition);
    if (!ids) {
      ids = new Set();
      dirty.set(partition, ids);
    }
    return ids;
  };

  return {
    stateOf,
    touched,
    /** Replace a partition's state (restore from the changelog). */
    restored(partition: number, state: PartitionState) {
      states.set(partition, state);
    },
    partitions: () => states.entries(),
    all: () => [...states.values()],
    openWindows: () => [...states.values()].reduce((n, s) => n + s.windows.size, 0),
    /** The next offset this process will take from a partition (undefined: none taken yet). */
    nextOffset: (partition: number) => nextOffsets.get(partition),
    /** One event taken at `offset`: counts toward the next commit. */
    took(partition: number, offset: string) {
      pendingEvents++;
      nextOffsets.set(partition, String(Number(offset) + 1));
    },
    pendingEvents: () => pendingEvents,
    hasChanges: () => dirty.size > 0,

    /** Taken synchronously: values are serialised now, so later events cannot leak in. */
    snapshot(): Snapshot {
      const snap: Snapshot = { changelog: [], outputs: [], offsets: [], events: pendingEvents };
      for (const [partition, ids] of dirty) {
        const state = stateOf(partition);
        for (const w of closeWindows(state, spec)) {
          const id = windowKey(w.key, w.windowStart);
          ids.add(id);
          snap.outputs.push({
            partition,
            message: { key: id, value: JSON.stringify(w), partition },
          });
        }
        const offset = nextOffsets.get(partition);
        if (offset !== undefined) snap.offsets.push({ partition, offset });
        if (!changelog) continue;
        for (const id of ids) {
          snap.changelog.push({
            partition,
            record: windowRecord(id, state.windows.get(id) ?? null),
          });
        }
        snap.changelog.push({ partition, record: metaRecord(state, Number(offset ?? 0)) });
      }
      dirty.clear();
      pendingEvents = 0;
      return snap;
    },

    /** Open windows (counted so far, not yet emitted), optionally for one key. */
    windows(key?: string): (WindowCount & { windowEnd: number; partition: number })[] {
      const out = [];
      for (const [partition, s] of states) {
        for (const w of s.windows.values()) {
          if (key === undefined || w.key === key)
            out.push({ ...w, windowEnd: w.windowStart + spec.sizeMs, partition });
        }
      }
      return out.sort((a, b) => a.windowStart - b.windowStart || a.key.localeCompare(b.key));
    },
  };
}

export type TaskState = ReturnType<typeof createTaskState>;
