import type { KafkaMessage } from 'kafkajs';

/** The order event this lab produces; `id` is what the sink deduplicates on. */
export interface OrderEvent {
  id: string;
  seq: number;
}

export function parseOrderEvent(message: KafkaMessage): OrderEvent {
  const parsed = JSON.parse(message.value?.toString() ?? 'null') as Partial<OrderEvent> | null;
  if (!parsed || typeof parsed.id !== 'string') {
    throw new Error(`message at offset ${message.offset} has no string id`);
  }
  return { id: parsed.id, seq: Number(parsed.seq) };
}

/**
 * The work on one message: `ms` of CPU (pricing, rendering, parsing a large payload).
 * Synchronous on purpose: while it runs nothing else in the process does, not even
 * kafkajs's heartbeats. kafkajs has no heartbeat thread; it heartbeats from its own
 * loop and from heartbeat() calls, so only code that yields lets one through.
 */
export function computeOrder(message: KafkaMessage, ms: number): OrderEvent {
  const event = parseOrderEvent(message);
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: CPU-bound work
  }
  return event;
}
