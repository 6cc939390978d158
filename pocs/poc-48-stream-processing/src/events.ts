import { z } from 'zod';

/** One input event. `id` is unique per event, so duplicates would be visible. */
export const eventSchema = z.object({
  key: z.string().min(1).max(200),
  eventTime: z.number().int().nonnegative(),
  id: z.string().min(1).max(100),
});
export type StreamEvent = z.infer<typeof eventSchema>;

/** Parse a record value; undefined for anything that is not an event (a poison record). */
export function parseEvent(value: Buffer | null): StreamEvent | undefined {
  if (!value) return undefined;
  try {
    const parsed = eventSchema.safeParse(JSON.parse(value.toString()));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** FNV-1a: a stable partition per key, so tests know which partition (and stream time) a key has. */
export function partitionFor(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
