import { describe, expect, it } from 'vitest';
import { isRefundDeclinedError } from '../src/errors.ts';
import type { Order } from '../src/orders.ts';
import { createRiskCheck } from '../src/risk-check.ts';

const order: Order = {
  id: 42,
  customerId: 1,
  capturedCents: 1_000_000,
  refundedCents: 0,
  refundableCents: 1_000_000,
};

describe('risk check', () => {
  it('declines exactly when random() falls under the rate', () => {
    const draws = [0.05, 0.2, 0.19999, 0.9];
    const check = createRiskCheck(0.2, () => draws.shift()!);
    const outcomes = [0, 1, 2, 3].map(() => {
      try {
        check(order, 100);
        return 'approved';
      } catch (err) {
        return isRefundDeclinedError(err) ? `declined ${err.statusCode} ${err.code}` : 'other';
      }
    });
    expect(outcomes).toEqual([
      'declined 422 refund_declined',
      'approved',
      'declined 422 refund_declined',
      'approved',
    ]);
  });

  it('never draws at rate 0, so the default costs nothing', () => {
    const check = createRiskCheck(0, () => {
      throw new Error('random() called');
    });
    expect(() => check(order, 100)).not.toThrow();
  });
});
