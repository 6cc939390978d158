import { PocError } from '@pocs/shared/errors';

/**
 * A refund the business rules refuse. Expected, not a bug: the caller gets a 4xx with a
 * stable code and a message that says what to change. Never retriable as is.
 */
export class RefundRejectedError extends PocError {
  readonly statusCode: 404 | 409 | 422;
  readonly code: string;

  constructor(message: string, statusCode: 404 | 409 | 422, code: string) {
    super(message, { retriable: false });
    this.statusCode = statusCode;
    this.code = code;
  }
}

export const isRefundRejectedError = (e: unknown): e is RefundRejectedError =>
  e instanceof RefundRejectedError;

export class OrderNotFoundError extends RefundRejectedError {
  readonly orderId: number;

  constructor(orderId: number) {
    super(`no order with id ${orderId}`, 404, 'order_not_found');
    this.orderId = orderId;
  }
}

export const isOrderNotFoundError = (e: unknown): e is OrderNotFoundError =>
  e instanceof OrderNotFoundError;

/** The refund asks for more than the order has left to refund. */
export class RefundExceedsBalanceError extends RefundRejectedError {
  readonly orderId: number;
  readonly amountCents: number;
  readonly refundableCents: number;

  constructor(fields: { orderId: number; amountCents: number; refundableCents: number }) {
    super(
      `refund of ${fields.amountCents} cents exceeds the ${fields.refundableCents} cents still refundable on order ${fields.orderId}`,
      409,
      'refund_exceeds_balance',
    );
    this.orderId = fields.orderId;
    this.amountCents = fields.amountCents;
    this.refundableCents = fields.refundableCents;
  }
}

export const isRefundExceedsBalanceError = (e: unknown): e is RefundExceedsBalanceError =>
  e instanceof RefundExceedsBalanceError;

/** The risk check said no (INJECT_ERROR_RATE decides how often). */
export class RefundDeclinedError extends RefundRejectedError {
  readonly orderId: number;

  constructor(orderId: number) {
    super(
      `refund on order ${orderId} declined by the risk check: contact support`,
      422,
      'refund_declined',
    );
    this.orderId = orderId;
  }
}

export const isRefundDeclinedError = (e: unknown): e is RefundDeclinedError =>
  e instanceof RefundDeclinedError;
