import type { InstrumentedPool } from '@pocs/shared/pool';
import { OrderNotFoundError, RefundExceedsBalanceError } from './errors.ts';
import { type OrderTables, type Refund, type RefundRequest, refundSteps } from './orders.ts';
import type { RiskCheck } from './risk-check.ts';

/**
 * ✅ THE FIX. The same steps, inside pool.withClient(): the client goes back in a
 * `finally` whatever happens. Every error path rolls back in one place, so a branch
 * added next year cannot forget to.
 */
export async function refundOrder(
  pool: InstrumentedPool,
  db: OrderTables,
  request: RefundRequest,
  riskCheck: RiskCheck,
): Promise<Refund> {
  return pool.withClient(async (client) => {
    await client.query('begin');
    try {
      const order = await refundSteps.selectOrder(client, db, request.orderId);
      if (!order) throw new OrderNotFoundError(request.orderId);
      riskCheck(order, request.amountCents);
      const refundId = await refundSteps.insertRefund(client, db, request);
      const refundableCents = await refundSteps.debitOrder(client, db, request);
      if (refundableCents === undefined) {
        throw new RefundExceedsBalanceError({
          orderId: order.id,
          amountCents: request.amountCents,
          refundableCents: order.refundableCents,
        });
      }
      await client.query('commit');
      return { refundId, orderId: order.id, amountCents: request.amountCents, refundableCents };
    } catch (err) {
      await client.query('rollback');
      throw err;
    }
  });
}
