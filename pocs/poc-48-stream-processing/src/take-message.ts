import type { KafkaMessage } from 'kafkajs';
import { parseEvent } from './events.ts';
import type { ProcessorMetrics } from './processor-metrics.ts';
import type { TaskState } from './task-state.ts';
import { applyEvent, type WindowSpec, windowKey } from './windows.ts';

export type Taken = 'counted' | 'late' | 'poison' | 'refetched';

/**
 * Apply one input message to the task state: count it in its window, drop it as late,
 * or count it as poison (not an event). An offset this process already took is skipped.
 */
export function takeMessage(
  state: TaskState,
  spec: WindowSpec,
  metrics: ProcessorMetrics,
  partition: number,
  message: KafkaMessage,
): Taken {
  // kafkajs can hand out a batch again that this process already took (several
  // fetches in flight across brokers with small fetch sizes): never count an offset twice.
  const next = state.nextOffset(partition);
  if (next !== undefined && Number(message.offset) < Number(next)) return 'refetched';
  const event = parseEvent(message.value);
  let taken: Taken;
  if (event) {
    const applied = applyEvent(state.stateOf(partition), event, message.offset, spec);
    metrics.processed.inc({ outcome: applied.outcome === 'late' ? 'late_dropped' : 'counted' });
    if (applied.outcome === 'counted') {
      state.touched(partition).add(windowKey(applied.window.key, applied.window.windowStart));
    } else state.touched(partition);
    taken = applied.outcome === 'late' ? 'late' : 'counted';
  } else {
    metrics.processed.inc({ outcome: 'poison' });
    state.touched(partition);
    taken = 'poison';
  }
  state.took(partition, message.offset);
  return taken;
}
