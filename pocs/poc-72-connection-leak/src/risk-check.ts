import { RefundDeclinedError } from './errors.ts';
import type { Order } from './orders.ts';

/** Runs inside the refund transaction, after the order is read; throws to decline. */
export type RiskCheck = (order: Order, amountCents: number) => void;

/**
 * Stands in for a fraud rule: declines `declineRate` of refunds at random. It throws,
 * like real checks do, which is what sends a request down the error path.
 */
export function createRiskCheck(
  declineRate: number,
  random: () => number = Math.random,
): RiskCheck {
  return (order) => {
    if (declineRate > 0 && random() < declineRate) throw new RefundDeclinedError(order.id);
  };
}
