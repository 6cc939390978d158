import { z } from 'zod';

/** POST /orders body. orderId is the business id: the client makes it, retries reuse it. */
export const orderRequestSchema = z.strictObject({
  orderId: z.uuid({ error: 'orderId must be a UUID (the client generates it; a retry reuses it)' }),
  customerId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'customerId must be 1-64 letters, digits, _ or -'),
  amountCents: z
    .number({ error: 'amountCents must be a number of cents' })
    .int('amountCents must be whole cents')
    .min(1, 'amountCents must be at least 1')
    .max(100_000_000, 'amountCents must be at most 100000000'),
});

export type OrderRequest = z.infer<typeof orderRequestSchema>;

/** The event on the topic. Versioned so a consumer can refuse what it does not understand. */
export interface OrderEvent extends OrderRequest {
  type: 'order-placed';
  version: 1;
  placedAt: string;
}

export const orderEventSchema = orderRequestSchema.extend({
  type: z.literal('order-placed'),
  version: z.literal(1),
  placedAt: z.string(),
});

/** The record key: every event of one customer goes to one partition, in order. */
export const keyFor = (order: Pick<OrderRequest, 'customerId'>): string => order.customerId;

export function encodeOrderEvent(order: OrderRequest, now = new Date()): OrderEvent {
  return { ...order, type: 'order-placed', version: 1, placedAt: now.toISOString() };
}

/** Parse a record value; undefined for a poison message (not JSON, or not our shape). */
export function decodeOrderEvent(value: Buffer | null): OrderEvent | undefined {
  if (!value) return undefined;
  try {
    const parsed = orderEventSchema.safeParse(JSON.parse(value.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
