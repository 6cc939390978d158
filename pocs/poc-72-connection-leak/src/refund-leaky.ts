import type { InstrumentedPool } from '@pocs/shared/pool';
import { OrderNotFoundError, RefundExceedsBalanceError } from './errors.ts';
import { type OrderTables, type Refund, type RefundRequest, refundSteps } from './orders.ts';
import type { RiskCheck } from './risk-check.ts';

/**
 * ❌ THE BUG (served when BREAK_LEAK_ON_ERROR=1). It reads well and passes a happy-path
 * test. release() is a statement, not a guarantee: the not-found branch remembers it,
 * the balance branch added later does not, and anything that throws skips it.
 * Each failed refund keeps one pool client forever.
 */
export async function refundOrderLeaky(
  pool: InstrumentedPool,
  db: OrderTables,
  request: RefundRequest,
  riskCheck: RiskCheck,
): Promise<Refund> {
  const client = await pool.acquire();
  await client.query('begin');
  const order = await refundSteps.selectOrder(client, db, request.orderId);
  if (!order) {
    await client.query('rollback');
    client.release();
    throw new OrderNotFoundError(request.orderId);
  }
  // ❌ A decline throws: the transaction stays open and the client is never released.
  riskCheck(order, request.amountCents);
  const refundId = await refundSteps.insertRefund(client, db, request);
  const refundableCents = await refundSteps.debitOrder(client, db, request);
  if (refundableCents === undefined) {
    await client.query('rollback');
    // ❌ Forgot client.release() on this branch.
    throw new RefundExceedsBalanceError({
      orderId: order.id,
      amountCents: request.amountCents,
      refundableCents: order.refundableCents,
    });
  }
  await client.query('commit');
  client.release();
  return { refundId, orderId: order.id, amountCents: request.amountCents, refundableCents };
}
