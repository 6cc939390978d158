/**
 * The workload both brokers carry: ~1 KB order events, each with the time it was handed to
 * the client and a sequence number per customer key, so one message tells us its end-to-end
 * latency and whether it overtook an earlier order of the same customer.
 */
export interface OrderEvent {
  /** Unique across the run: 0..n-1 in publish order. */
  id: number;
  /** Partition key (Kafka) / just a field (RabbitMQ): the customer. */
  key: string;
  /** 1, 2, 3, … per key, in publish order. */
  seq: number;
  /** Epoch ms with sub-ms precision, stamped when the message is handed to the client. */
  sentAtMs: number;
  amountCents: number;
  /** Filler so the encoded event is `ORDER_BYTES` long, like a real order with line items. */
  note: string;
}

export const ORDER_BYTES = 1024;

/** Epoch ms with sub-millisecond precision; the same clock in every process on this machine. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface PlannedOrder {
  id: number;
  key: string;
  seq: number;
}

/** n orders spread round-robin over `keys` customers, seq counting up per customer. */
export function planOrders(n: number, keys: number): PlannedOrder[] {
  const seqByKey = new Map<string, number>();
  const orders: PlannedOrder[] = [];
  for (let id = 0; id < n; id++) {
    const key = `customer-${String(id % keys).padStart(4, '0')}`;
    const seq = (seqByKey.get(key) ?? 0) + 1;
    seqByKey.set(key, seq);
    orders.push({ id, key, seq });
  }
  return orders;
}

/** Encode with the send time stamped now, padded to exactly ORDER_BYTES bytes. */
export function encodeOrder(order: PlannedOrder, sentAtMs = nowMs()): Buffer {
  const event: OrderEvent = {
    ...order,
    sentAtMs,
    amountCents: 1_000 + (order.id % 9_000),
    note: '',
  };
  const bare = Buffer.byteLength(JSON.stringify(event));
  event.note = 'x'.repeat(Math.max(0, ORDER_BYTES - bare));
  return Buffer.from(JSON.stringify(event));
}

export function decodeOrder(body: Buffer): OrderEvent {
  const e = JSON.parse(body.toString()) as OrderEvent;
  if (!Number.isInteger(e.id) || typeof e.key !== 'string' || !Number.isInteger(e.seq)) {
    throw new Error(`not an order event: ${body.subarray(0, 80).toString()}`);
  }
  return e;
}
