import { seededRandom } from '@pocs/shared/backoff';
import type { StreamEvent } from './events.ts';
import { partitionFor } from './events.ts';

export interface GeneratorOptions {
  seed: number;
  events: number;
  keys: number;
  partitions: number;
  windowSizeMs: number;
  graceMs: number;
  /** Event time advances this much per event (so windowSizeMs / stepMs events per window). */
  stepMs?: number;
  /** Share of events that arrive out of order but within grace (counted). */
  outOfOrderRate?: number;
  /** Share of events that arrive after their window closed (dropped as late). */
  lateRate?: number;
  /** First event time; a multiple of the window size keeps windows aligned with it. */
  startTime?: number;
}

export interface PlacedEvent {
  partition: number;
  event: StreamEvent;
}

export const TICK_KEY_PREFIX = 'tick-';

/**
 * A deterministic stream: keys `key-00`..., event time moving forward with out-of-order
 * events (within grace) and late ones (past grace). It ends with one tick per partition
 * whose event time closes every window, so every count reaches the output topic.
 */
export function generateEvents(o: GeneratorOptions): PlacedEvent[] {
  const random = seededRandom(o.seed);
  const stepMs = o.stepMs ?? 50;
  const outOfOrderRate = o.outOfOrderRate ?? 0.1;
  const lateRate = o.lateRate ?? 0.02;
  let now = o.startTime ?? 1_700_000_000_000 - (1_700_000_000_000 % o.windowSizeMs);
  const placed: PlacedEvent[] = [];
  for (let i = 0; i < o.events; i++) {
    now += stepMs;
    const key = `key-${String(Math.floor(random() * o.keys)).padStart(2, '0')}`;
    const roll = random();
    let eventTime = now;
    if (roll < lateRate) {
      eventTime = now - (o.windowSizeMs + o.graceMs + Math.floor(random() * o.windowSizeMs));
    } else if (roll < lateRate + outOfOrderRate) {
      eventTime = now - Math.floor(random() * o.graceMs);
    }
    placed.push({
      partition: partitionFor(key, o.partitions),
      event: { key, eventTime, id: `e${i}` },
    });
  }
  const closeAll = now + o.windowSizeMs + o.graceMs + 1;
  for (let p = 0; p < o.partitions; p++) {
    placed.push({
      partition: p,
      event: { key: `${TICK_KEY_PREFIX}${p}`, eventTime: closeAll, id: `tick${p}` },
    });
  }
  return placed;
}
