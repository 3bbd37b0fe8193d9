/**
 * Plural's orders → the port's neutral types. Nothing outside this folder reads the wire.
 *
 * A charge is one Plural order (type CHARGE); its refunds are orders of their own (type REFUND,
 * `parent_order_id` the charge), found by their references (index.ts). The order's status decides:
 *
 * | Plural order status              | → status             | payUrl (checkout page) | notes                                           |
 * |----------------------------------|----------------------|------------------------|-------------------------------------------------|
 * | CREATED                          | `pending`            | `redirect_url`         | nobody has tried to pay yet                     |
 * | PENDING                          | `pending`            | `redirect_url`         | a 3-D Secure challenge waits for the customer   |
 * | ATTEMPTED                        | `pending`            | `redirect_url` *       | an attempt failed: `failure` says why; the      |
 * |                                  |                      |                        | customer may try again (* while attempts remain)|
 * | AUTHORIZED                       | `requires_capture`   | null                   | pre_auth: capture or cancel it                  |
 * | PROCESSED                        | `succeeded`          | null                   | paid (captured in full)                         |
 * | PARTIALLY_CAPTURED               | `succeeded`          | null                   | pre_auth captured in part: amountCaptured < amount |
 * | PARTIALLY_REFUNDED               | `partially_refunded` | null                   | some money went back (a refund, or the rest of  |
 * |                                  |                      |                        | a partial release or a cancelled split)         |
 * | FULLY_REFUNDED (also REFUNDED)   | `refunded`           | null                   | everything captured went back                   |
 * | CANCELLED                        | `canceled`           | null                   | a pre-authorisation cancelled                   |
 * | FAILED                           | `failed`             | null                   | the last attempt failed and none is left        |
 *
 * Any other status is refused by the schema (a malformed answer): the till never guesses whether
 * money moved.
 *
 * - `failure` (ATTEMPTED and FAILED only): the last failed payment's `error_detail`, its code in the
 *   app's terms where one fits (PAYMENT_DECLINED → card_declined, INSUFFICIENT_FUNDS →
 *   insufficient_funds, USER_AUTHENTICATION_FAILED → 3ds_declined), else Plural's in lower case.
 * - `card`: the last payment approved (AUTHORIZED, PROCESSED, or CANCELLED after authorisation):
 *   network in lower case, last four digits.
 * - Amounts are paise and stay paise; `currency` is INR. `amountCaptured` is the captures' total for
 *   a pre-authorisation, else the amount once paid. `amountRefunded` adds up the refund orders found;
 *   FULLY_REFUNDED is the whole captured amount even when some refunds were made elsewhere.
 * - `orderReference`: the `pos_order` tag, else `merchant_order_reference` (an order this app did
 *   not create). `reference` is Plural's `order_id`.
 * - `splits`: `split_info`'s details, with what each has settled (`releasedAmount`, once the order
 *   is paid) and what was refunded from it (`refundedAmount`, recovered or not).
 */
import type { TransactionStatus } from '../../../common/contract';
import type { GatewayPayment, GatewayRefund, SplitState } from '../port';
import { readTag, TAG } from './references';
import { utcMillis, type OrderStatus, type WireOrder, type WirePayment } from './schemas';
import { chargeMoney, releasable } from './splits';

export const STATUS_TABLE: Readonly<Record<OrderStatus, TransactionStatus>> = {
  CREATED: 'pending',
  PENDING: 'pending',
  ATTEMPTED: 'pending',
  AUTHORIZED: 'requires_capture',
  PROCESSED: 'succeeded',
  PARTIALLY_CAPTURED: 'succeeded',
  PARTIALLY_REFUNDED: 'partially_refunded',
  FULLY_REFUNDED: 'refunded',
  REFUNDED: 'refunded',
  CANCELLED: 'canceled',
  FAILED: 'failed',
};

/** Order statuses in which the customer can still pay on the checkout page. */
export const PAYABLE: ReadonlySet<OrderStatus> = new Set(['CREATED', 'PENDING', 'ATTEMPTED']);

/** Plural's failure codes that have a name in the app (common/decline-codes.ts). */
const FAILURE_CODES: Readonly<Record<string, string>> = {
  PAYMENT_DECLINED: 'card_declined',
  INSUFFICIENT_FUNDS: 'insufficient_funds',
  USER_AUTHENTICATION_FAILED: '3ds_declined',
};

export function failureCode(code: string): string {
  return FAILURE_CODES[code.toUpperCase()] ?? code.toLowerCase();
}

const APPROVED_PAYMENTS = new Set(['AUTHORIZED', 'PROCESSED', 'CANCELLED']);

function iso(text: string): string {
  return new Date(utcMillis(text)).toISOString();
}

function last<T>(items: readonly T[], keep: (item: T) => boolean): T | undefined {
  for (let index = items.length - 1; index >= 0; index -= 1) if (keep(items[index]!)) return items[index];
  return undefined;
}

export function isPayable(order: WireOrder): boolean {
  return PAYABLE.has(order.status) && (order.payment_retries_remaining ?? 1) > 0;
}

function failureOf(order: WireOrder, payments: readonly WirePayment[]): GatewayPayment['failure'] {
  if (order.status !== 'ATTEMPTED' && order.status !== 'FAILED') return null;
  const failed = last(payments, (payment) => payment.status.toUpperCase() === 'FAILED');
  const code = failed?.error_detail?.code;
  return {
    code: code ? failureCode(code) : 'payment_failed',
    message: failed?.error_detail?.message ?? null,
  };
}

function cardOf(payments: readonly WirePayment[]): GatewayPayment['card'] {
  const approved = last(payments, (payment) => APPROVED_PAYMENTS.has(payment.status.toUpperCase()));
  const data = approved?.payment_option?.card_data;
  if (!data?.network_name || !data.last4_digit) return null;
  return { brand: data.network_name.trim().toLowerCase(), last4: data.last4_digit };
}

function capturedAtOf(order: WireOrder, payments: readonly WirePayment[], captured: number): string | null {
  if (captured === 0) return null;
  const captures = payments.flatMap((payment) => payment.capture_data ?? []);
  const lastCapture = captures[captures.length - 1];
  if (lastCapture?.created_at) return iso(lastCapture.created_at);
  const processed = last(payments, (payment) => payment.status.toUpperCase() === 'PROCESSED');
  return processed ? iso(processed.updated_at ?? processed.created_at) : iso(order.updated_at ?? order.created_at);
}

/** A charge order and the refund orders found for it → the port's payment. */
export function toPayment(order: WireOrder, refunds: readonly WireOrder[] = []): GatewayPayment {
  const status = STATUS_TABLE[order.status];
  const payments = order.payments ?? [];
  const money = chargeMoney(order, refunds);
  const metadata = order.purchase_details?.merchant_metadata ?? null;
  const refunded = status === 'refunded' ? money.captured : Math.min(money.refunded, money.captured);
  const payable = isPayable(order);
  const splits: SplitState[] | null = order.purchase_details?.split_info
    ? money.splits.map((split) => ({
        id: split.id,
        merchantId: split.merchantId,
        settlementReference: split.settlementReference,
        amount: split.amount,
        onHold: split.onHold,
        status: split.status,
        releasedAmount: split.settled,
        refundedAmount: split.unrecovered + split.recovered,
        releasable: releasable(money, split),
      }))
    : null;
  return {
    id: order.order_id,
    reference: order.order_id,
    orderReference: readTag(metadata, TAG.order) ?? order.merchant_order_reference,
    status,
    amount: order.order_amount.value,
    currency: order.order_amount.currency.toUpperCase(),
    amountCapturable: status === 'requires_capture' ? order.order_amount.value : 0,
    amountCaptured: money.captured,
    amountRefunded: refunded,
    captureMethod: order.pre_auth ? 'manual' : 'automatic',
    card: cardOf(payments),
    failure: failureOf(order, payments),
    description: order.notes ?? null,
    receiptEmail: order.purchase_details?.customer?.email_id ?? null,
    customerId: readTag(metadata, TAG.customer),
    methodType: 'link',
    terminalId: null,
    createdAt: iso(order.created_at),
    capturedAt: capturedAtOf(order, payments, money.captured),
    payUrl: payable ? (order.redirect_url ?? null) : null,
    // Plural gives an order no expiry: its checkout page stays payable until paid or out of attempts.
    payUrlExpiresAt: null,
    // Nor does it say when a pre-authorisation lapses.
    authorizationExpiresAt: null,
    installmentPlanId: null,
    savedCardId: null,
    splits,
  };
}

/** A refund order → the port's refund. */
export function toRefund(refund: WireOrder): GatewayRefund {
  const status = refund.status === 'PROCESSED' ? 'succeeded' : refund.status === 'FAILED' ? 'failed' : 'pending';
  return {
    id: refund.order_id,
    reference: refund.merchant_order_reference,
    paymentId: refund.parent_order_id ?? '',
    amount: refund.order_amount.value,
    currency: refund.order_amount.currency.toUpperCase(),
    status,
    reason: readTag(refund.purchase_details?.merchant_metadata, TAG.reason),
    createdAt: iso(refund.created_at),
  };
}
