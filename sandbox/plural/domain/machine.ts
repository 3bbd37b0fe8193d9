/**
 * The order and split-settlement rules, pure: each check takes the stored state and either returns
 * the next state or throws the ApiError the API answers with. The database layer applies the result.
 *
 * Orders (type CHARGE):
 *
 *   CREATED ─pay (frictionless card)─▶ PROCESSED                    (pre_auth: AUTHORIZED)
 *      │    └pay (3-D Secure card)──▶ PENDING ─challenge passed─▶ PROCESSED / AUTHORIZED
 *      │                                  └challenge failed─▶ ATTEMPTED (FAILED when no attempt is left)
 *      └pay (declined card)──▶ ATTEMPTED ─pay again─▶ … (up to 10 attempts, then FAILED)
 *   AUTHORIZED ─capture (all)─▶ PROCESSED   ─capture (part)─▶ PARTIALLY_CAPTURED
 *   AUTHORIZED ─cancel─▶ CANCELLED
 *   PROCESSED / PARTIALLY_CAPTURED ─refund─▶ PARTIALLY_REFUNDED ─refund the rest─▶ FULLY_REFUNDED
 *
 * Split settlements (status HOLD, RELEASED or CANCELLED; on_hold: false means RELEASED from the
 * start). Money of a split i: S = settled to the split merchant (its amount once RELEASED, or the
 * release_amount of a partial release), U = refunded without recovery (DO_NOT_RECOVER), R = refunded
 * and recovered from the merchant. Per split S + U ≤ amount and R ≤ S; per order ΣS + ΣU ≤ captured,
 * so the gateway never pays out or refunds money it did not receive.
 */
import { amountExceeded, orderState, splitState } from '../errors';
import type { OrderRow, OrderStatus, SplitRow } from './model';

/** The order has received its money: settlements can move and refunds be made. */
export const PAID_STATUSES: readonly OrderStatus[] = ['PROCESSED', 'PARTIALLY_CAPTURED', 'PARTIALLY_REFUNDED'];

const PAYABLE_STATUSES: readonly OrderStatus[] = ['CREATED', 'PENDING', 'ATTEMPTED'];

export function checkPayable(order: OrderRow): void {
  if (order.type !== 'CHARGE') throw orderState(`${order.id} is a refund order; it takes no payment.`);
  if (!PAYABLE_STATUSES.includes(order.status)) {
    throw orderState(`This order is ${order.status}; only a CREATED, PENDING or ATTEMPTED order takes a payment.`);
  }
  if (order.payment_retries_remaining <= 0) throw orderState('No payment attempt is left on this order.');
}

/** The order's status once a payment was approved. */
export function approvedStatus(order: OrderRow): OrderStatus {
  return order.pre_auth === 1 ? 'AUTHORIZED' : 'PROCESSED';
}

/** The order's status once a payment attempt failed (its attempt already counted). */
export function failedStatus(order: OrderRow): OrderStatus {
  return order.payment_retries_remaining > 0 ? 'ATTEMPTED' : 'FAILED';
}

function checkAuthorized(order: OrderRow, action: 'captured' | 'cancelled'): void {
  if (order.status !== 'AUTHORIZED') {
    throw orderState(
      `This order is ${order.status}; only an AUTHORIZED order (pre_auth: true, paid) can be ${action}.`,
    );
  }
}

/** A split's money settled to its merchant (meaningful once the order is paid). */
export function settled(split: SplitRow): number {
  return split.status === 'RELEASED' ? (split.release_amount ?? split.amount) : 0;
}

/** Money of the order's splits already paid out or refunded unrecovered (ΣS + ΣU). */
export function committed(splits: readonly SplitRow[]): number {
  return splits.reduce((sum, split) => sum + settled(split) + split.refunded_unrecovered, 0);
}

/** Capture of an AUTHORIZED order: the new status; splits settled at once must be covered. */
export function capture(order: OrderRow, splits: readonly SplitRow[], amount: number): OrderStatus {
  checkAuthorized(order, 'captured');
  if (amount > order.amount) {
    throw amountExceeded(
      `capture_amount (${amount}) is more than the authorized amount (${order.amount}).`,
      'capture_amount.value',
    );
  }
  const immediate = committed(splits);
  if (immediate > amount) {
    throw amountExceeded(
      `The splits settled without hold need ${immediate}; a capture of ${amount} cannot fund them.`,
      'capture_amount.value',
    );
  }
  return amount === order.amount ? 'PROCESSED' : 'PARTIALLY_CAPTURED';
}

export function cancel(order: OrderRow): OrderStatus {
  checkAuthorized(order, 'cancelled');
  return 'CANCELLED';
}

function checkPaid(order: OrderRow, action: string): void {
  if (!PAID_STATUSES.includes(order.status)) {
    throw orderState(
      `A split settlement can be ${action} only once the order is PROCESSED (or partly captured or refunded); this order is ${order.status}.`,
    );
  }
}

function checkHeld(split: SplitRow, action: string): void {
  if (split.status !== 'HOLD') {
    throw splitState(
      `Split settlement ${split.id} is ${split.status}; only a split on HOLD can be ${action}, and only once.`,
    );
  }
}

/** Release of a held split, in full or (once) in part: the amount settled. */
export function release(
  order: OrderRow,
  split: SplitRow,
  splits: readonly SplitRow[],
  amount: number | undefined,
): number {
  checkPaid(order, 'released');
  checkHeld(split, 'released');
  const released = amount ?? split.amount;
  if (released > split.amount) {
    throw amountExceeded(
      `release_amount (${released}) is more than the split's amount (${split.amount}).`,
      'release_amount.value',
    );
  }
  const left = order.captured - committed(splits);
  if (released > left) {
    throw amountExceeded(
      `Only ${left} of the order's captured amount is left to settle; cannot release ${released}.`,
      'release_amount.value',
    );
  }
  return released;
}

export function cancelSettlement(order: OrderRow, split: SplitRow): void {
  checkPaid(order, 'cancelled');
  checkHeld(split, 'cancelled');
}

/** Whether a refund order can be made against the order at all, and for how much at most. */
export function refundable(order: OrderRow): number {
  if (order.type !== 'CHARGE') throw orderState(`${order.id} is a refund order; only a charge can be refunded.`);
  if (!PAID_STATUSES.includes(order.status)) {
    throw orderState(
      `This order is ${order.status}; only a PROCESSED, PARTIALLY_CAPTURED or PARTIALLY_REFUNDED order can be refunded.`,
    );
  }
  return order.captured - order.refunded;
}

/**
 * One refund line against a split. DO_NOT_RECOVER refunds money the split merchant never got: a
 * CANCELLED split, or what a partial release left over. A blank status takes settled money back.
 * Returns the split with the refund applied; `pendingCommitted` is ΣS + ΣU of the order including
 * the lines of this refund already applied.
 */
export function refundSplit(
  order: OrderRow,
  split: SplitRow,
  amount: number,
  doNotRecover: boolean,
  pendingCommitted: number,
  param: string,
): SplitRow {
  if (doNotRecover) {
    const partlyReleased =
      split.status === 'RELEASED' && split.release_amount !== null && split.release_amount < split.amount;
    if (split.status !== 'CANCELLED' && !partlyReleased) {
      throw splitState(
        `Split settlement ${split.id} is ${split.status}${split.status === 'RELEASED' ? ' in full' : ''}: DO_NOT_RECOVER refunds only a CANCELLED split or the rest of a partial release.`,
        param,
      );
    }
    const room = split.amount - settled(split) - split.refunded_unrecovered;
    if (amount > room) {
      throw amountExceeded(
        `Only ${room} of split settlement ${split.id} is left to refund without recovery; cannot refund ${amount}.`,
        param,
      );
    }
    if (pendingCommitted + amount > order.captured) {
      throw amountExceeded(
        `Only ${order.captured - pendingCommitted} of the order's captured amount is not yet settled or refunded; cannot refund ${amount} without recovery.`,
        param,
      );
    }
    return { ...split, refunded_unrecovered: split.refunded_unrecovered + amount };
  }
  if (split.status !== 'RELEASED') {
    throw splitState(
      `Split settlement ${split.id} is ${split.status}: nothing was settled to recover. Cancel it and refund with status DO_NOT_RECOVER instead.`,
      param,
    );
  }
  const room = settled(split) - split.refunded_recovered;
  if (amount > room) {
    throw amountExceeded(
      `Only ${room} settled to split settlement ${split.id} is left to recover; cannot refund ${amount}.`,
      param,
    );
  }
  return { ...split, refunded_recovered: split.refunded_recovered + amount };
}

/**
 * What a DO_NOT_RECOVER refund could still take from a CANCELLED or partly released split of a paid
 * order: the split's money neither settled nor refunded (amount − S − U), but only as far as the
 * order holds captured money for it (captured − ΣS − ΣU) and has something left to refund
 * (captured − refunded) — the checks refundSplit and refundable make. The rest of such a split was
 * never captured (a partial capture): no request can, or needs to, settle it.
 */
export function unsettledRemainder(order: OrderRow, split: SplitRow, splits: readonly SplitRow[]): number {
  if (order.captured === 0) return 0;
  const partlyReleased = split.status === 'RELEASED' && split.release_amount !== null;
  if (split.status !== 'CANCELLED' && !partlyReleased) return 0;
  const own = split.amount - settled(split) - split.refunded_unrecovered;
  const held = order.captured - committed(splits);
  const refundable = order.captured - order.refunded;
  return Math.max(0, Math.min(own, held, refundable));
}

export function statusAfterRefund(order: OrderRow, refunded: number): OrderStatus {
  return refunded >= order.captured ? 'FULLY_REFUNDED' : 'PARTIALLY_REFUNDED';
}
