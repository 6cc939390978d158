/**
 * Tumbling event-time windows with a grace period, as pure functions over one partition's
 * state (Kafka Streams keeps stream time per task, and a task owns one input partition).
 * Windows are [start, start + size): an event belongs to exactly one.
 */

export interface WindowSpec {
  sizeMs: number;
  graceMs: number;
}

export interface WindowCount {
  key: string;
  windowStart: number;
  count: number;
  /** Input offset of the last event this count includes (for debugging and /windows). */
  lastOffset: string;
}

export interface WindowResult {
  key: string;
  windowStart: number;
  windowEnd: number;
  count: number;
}

/** The state one partition needs to continue exactly where it stopped. */
export interface PartitionState {
  /** Max event time seen so far (-1 before the first event): drives window closing. */
  streamTime: number;
  /** Events taken from the input, counted or dropped. */
  processed: number;
  lateDropped: number;
  /** Open windows by `key|windowStart`. */
  windows: Map<string, WindowCount>;
}

export const emptyPartitionState = (): PartitionState => ({
  streamTime: -1,
  processed: 0,
  lateDropped: 0,
  windows: new Map(),
});

export const windowStartOf = (eventTime: number, sizeMs: number): number =>
  Math.floor(eventTime / sizeMs) * sizeMs;

export const windowKey = (key: string, windowStart: number): string => `${key}|${windowStart}`;

/**
 * A window is closed once stream time reached its end plus grace (Kafka Streams:
 * `windowEnd > observedStreamTime - grace` keeps it open). Closed windows take no events.
 */
export const isClosed = (windowEnd: number, streamTime: number, spec: WindowSpec): boolean =>
  windowEnd + spec.graceMs <= streamTime;

export type Applied =
  | { outcome: 'counted'; window: WindowCount }
  | { outcome: 'late'; windowStart: number };

/** Count one event: advance stream time first, then drop it if its window already closed. */
export function applyEvent(
  state: PartitionState,
  event: { key: string; eventTime: number },
  offset: string,
  spec: WindowSpec,
): Applied {
  state.processed++;
  state.streamTime = Math.max(state.streamTime, event.eventTime);
  const windowStart = windowStartOf(event.eventTime, spec.sizeMs);
  if (isClosed(windowStart + spec.sizeMs, state.streamTime, spec)) {
    state.lateDropped++;
    return { outcome: 'late', windowStart };
  }
  const id = windowKey(event.key, windowStart);
  const window = state.windows.get(id) ?? {
    key: event.key,
    windowStart,
    count: 0,
    lastOffset: offset,
  };
  window.count++;
  window.lastOffset = offset;
  state.windows.set(id, window);
  return { outcome: 'counted', window };
}

/** Remove and return every window that stream time has closed, oldest first. */
export function closeWindows(state: PartitionState, spec: WindowSpec): WindowResult[] {
  const closed: WindowResult[] = [];
  for (const [id, w] of state.windows) {
    const windowEnd = w.windowStart + spec.sizeMs;
    if (isClosed(windowEnd, state.streamTime, spec)) {
      closed.push({ key: w.key, windowStart: w.windowStart, windowEnd, count: w.count });
      state.windows.delete(id);
    }
  }
  return closed.sort((a, b) => a.windowStart - b.windowStart || a.key.localeCompare(b.key));
}
