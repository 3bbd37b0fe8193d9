/**
 * The transaction status machine, pure: each function takes a transaction's money state and either
 * returns the next state or a refusal saying which error the API must answer with. The database
 * layer applies the result; unit tests exercise every arrow (see docs/sandbox-api.md):
 *
 *   pending ──approve (automatic)──▶ succeeded ──refund──▶ partially_refunded ──refund──▶ refunded
 *      │   └─approve (manual)────▶ requires_capture ──capture──▶ succeeded
 *      │                                 └──cancel──▶ canceled
 *      ├──cancel──▶ canceled
 *      └──decline (confirmed API payment)──▶ failed
 */
import type { ErrorType } from '../../http/errors';

// The statuses are the contract's: the app and the PlutoPay emulator speak of the same ones.
export { TRANSACTION_STATUSES, type TransactionStatus } from '../../../common/contract/views';
import type { TransactionStatus } from '../../../common/contract/views';
export type CaptureMethod = 'automatic' | 'manual';

export interface MoneyState {
  readonly status: TransactionStatus;
  readonly amount: number;
  readonly amount_capturable: number;
  readonly amount_captured: number;
  readonly amount_refunded: number;
}

export interface Refusal {
  readonly refused: true;
  readonly type: ErrorType;
  readonly code: string;
  readonly message: string;
  readonly param?: string;
}

export type Step<T extends object = MoneyState> = ({ readonly refused: false } & T) | Refusal;

function refuse(type: ErrorType, code: string, message: string, param?: string): Refusal {
  return { refused: true, type, code, message, param };
}

function next(state: MoneyState, change: Partial<MoneyState>): Step {
  return { refused: false, ...state, ...change };
}

/** The card was approved (terminal, test card, hosted page). */
export function approve(state: MoneyState, captureMethod: CaptureMethod): Step {
  if (state.status !== 'pending') {
    return refuse(
      'payment_error',
      'payment_intent_unexpected_state',
      `This payment is ${state.status}; only a pending payment can be approved.`,
    );
  }
  return captureMethod === 'manual'
    ? next(state, { status: 'requires_capture', amount_capturable: state.amount, amount_captured: 0 })
    : next(state, { status: 'succeeded', amount_capturable: 0, amount_captured: state.amount });
}

/**
 * A declined confirmation of an API payment is final (`failed`). Terminal declines do not come
 * here: they leave the payment pending so another card can be tried.
 */
export function fail(state: MoneyState): Step {
  if (state.status !== 'pending') {
    return refuse(
      'payment_error',
      'payment_intent_unexpected_state',
      `This payment is ${state.status}; only a pending payment can be confirmed.`,
    );
  }
  return next(state, { status: 'failed' });
}

export function capture(state: MoneyState, amount?: number): Step {
  if (state.status !== 'requires_capture') {
    return refuse(
      'capture_error',
      'payment_not_capturable',
      `This payment is ${state.status}; only a payment in requires_capture can be captured.`,
    );
  }
  const captured = amount ?? state.amount_capturable;
  if (captured < 1 || captured > state.amount_capturable) {
    return refuse(
      'capture_error',
      'amount_too_large',
      `The capture amount must be between 1 and ${state.amount_capturable}.`,
      'amount',
    );
  }
  return next(state, { status: 'succeeded', amount_capturable: 0, amount_captured: captured });
}

export function cancel(state: MoneyState): Step {
  if (state.status !== 'pending' && state.status !== 'requires_capture') {
    return refuse(
      'cancel_error',
      'payment_not_cancelable',
      `This payment is ${state.status}; only a pending or uncaptured payment can be canceled.`,
    );
  }
  return next(state, { status: 'canceled', amount_capturable: 0 });
}

export function refundable(state: MoneyState): number {
  return state.amount_captured - state.amount_refunded;
}

/** A refund of `amount` (default: everything that remains). */
export function refund(state: MoneyState, amount?: number): Step<MoneyState & { readonly refunded: number }> {
  if (state.status !== 'succeeded' && state.status !== 'partially_refunded') {
    return refuse(
      'payment_error',
      'payment_not_refundable',
      `This payment is ${state.status}; only a succeeded or partially refunded payment can be refunded.`,
    );
  }
  const remaining = refundable(state);
  const refunded = amount ?? remaining;
  if (refunded > remaining) {
    return refuse(
      'payment_error',
      'amount_too_large',
      `The refund amount (${refunded}) is more than what remains to refund (${remaining}).`,
      'amount',
    );
  }
  const total = state.amount_refunded + refunded;
  return {
    refused: false,
    ...state,
    refunded,
    amount_refunded: total,
    status: total === state.amount_captured ? 'refunded' : 'partially_refunded',
  };
}
