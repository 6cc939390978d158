import { randomInt, randomUUID } from 'node:crypto';

export const payloadKinds = ['letters', 'json'] as const;
export type PayloadKind = (typeof payloadKinds)[number];

/**
 * Distinct payloads per message: a small repeated pool would let lz4/zstd/gzip find whole
 * messages again inside a batch and inflate the compression gain.
 */
export const PAYLOAD_POOL_SIZE = 4_096;

/** Random A–Z bytes, what Kafka's ProducerPerformance sends, so clients compare like for like. */
function letters(size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buf[i] = 65 + randomInt(26);
  return buf;
}

const words = (
  'order shipped paid refund customer invoice warehouse parcel delayed priority express ' +
  'standard discount coupon cart checkout address city country street payment card wallet'
).split(' ');

/** An order event as JSON padded to `size` bytes: repeated keys, random values, like real traffic. */
function jsonEvent(size: number): Buffer {
  const items: { sku: string; qty: number; price: number }[] = [];
  const event = {
    id: randomUUID(),
    type: 'order.created',
    ts: Date.now() + randomInt(1_000_000),
    customer: { id: `c-${randomInt(100_000)}`, tier: randomInt(3) === 0 ? 'gold' : 'silver' },
    items,
    note: '',
  };
  while (JSON.stringify(event).length < size - 60)
    items.push({
      sku: `SKU-${randomInt(10_000)}`,
      qty: 1 + randomInt(9),
      price: randomInt(100_000) / 100,
    });
  while (JSON.stringify(event).length < size) event.note += `${words[randomInt(words.length)]} `;
  // Trim the note so the event is exactly `size` bytes and still valid JSON.
  const excess = JSON.stringify(event).length - size;
  if (excess > 0) event.note = event.note.slice(0, Math.max(0, event.note.length - excess));
  return Buffer.from(JSON.stringify(event));
}

export function makePayloads(kind: PayloadKind, size: number, count = PAYLOAD_POOL_SIZE): Buffer[] {
  return Array.from({ length: count }, () =>
    kind === 'letters' ? letters(size) : jsonEvent(size),
  );
}
