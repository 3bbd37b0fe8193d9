/**
 * PayPlug's wire objects → the port's neutral types. Nothing outside this folder reads the wire.
 *
 * PayPlug has no status field: a payment's state is told by `is_paid`, `is_refunded`,
 * `amount_refunded`, `authorization` and `failure` (which PayPlug sets only once the payment can
 * no longer be paid: a declined attempt on the page leaves it null, the customer may try again).
 * The first matching row wins:
 *
 * | # | is_paid | refunds                              | failure.code          | authorization.authorized_at | → status             |
 * |---|---------|--------------------------------------|-----------------------|-----------------------------|----------------------|
 * | 1 | true    | is_refunded, or amount_refunded ≥ amount | (any)             | (any)                       | `refunded`           |
 * | 2 | true    | 0 < amount_refunded < amount         | (any)                 | (any)                       | `partially_refunded` |
 * | 3 | true    | amount_refunded = 0                  | (any)                 | (any)                       | `succeeded`          |
 * | 4 | false   | —                                    | `aborted`, `canceled` | (any)                       | `canceled`           |
 * | 5 | false   | —                                    | any other code        | (any)                       | `failed`             |
 * | 6 | false   | —                                    | null                  | set (deferred, authorized)  | `requires_capture`   |
 * | 7 | false   | —                                    | null                  | null / no authorization     | `pending`            |
 *
 * - Row 4: `aborted` is the merchant's abort (this app's cancel), `canceled` the customer's
 *   "Cancel payment" on the page before any card was tried: nobody was declined.
 * - Row 5: `timeout` (the page expired after 15 minutes untried), or the last attempt's code
 *   (`card_declined`, `insufficient_funds`, `3ds_declined`, `processing_error`, …) when the page
 *   expired or was canceled after failed attempts, or a one-click card was declined. Codes pass
 *   through unchanged as `failure.code`, but `timeout`, which becomes the neutral `link_expired`.
 * - Row 6: an authorization past `authorization.expires_at` stays `requires_capture` (PayPlug does
 *   not change the payment; capture is then refused): `authorizationExpiresAt` tells them apart.
 */
import type { TransactionStatus } from '../../../common/contract';
import type { GatewayPayment, GatewayRefund, InstallmentPlan } from '../port';
import type { WireInstallmentPlan, WirePaymentInput, WireRefund } from './schemas';
import { readTag, TAG } from './tags';

/** An unpaid payment page expires 15 minutes after the payment is created (unless sent_by is set). */
export const PAYMENT_PAGE_TTL_SECONDS = 15 * 60;

/** Failure codes that mean the payment was called off, not declined. */
const CANCELED_CODES = new Set(['aborted', 'canceled']);

export function paymentStatus(p: WirePaymentInput): TransactionStatus {
  const refunded = p.amount_refunded ?? 0;
  if (p.is_paid) {
    if (p.is_refunded || refunded >= p.amount) return 'refunded';
    if (refunded > 0) return 'partially_refunded';
    return 'succeeded';
  }
  if (p.failure) return CANCELED_CODES.has(p.failure.code) ? 'canceled' : 'failed';
  if (p.authorization?.authorized_at != null) return 'requires_capture';
  return 'pending';
}

export function isoFromUnix(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function isoOrNull(seconds: number | null | undefined): string | null {
  return seconds === null || seconds === undefined ? null : isoFromUnix(seconds);
}

/** Brands as the rest of the app writes them (lower case: visa, mastercard, cb, maestro). */
function brandOf(brand: string): string {
  return brand.trim().toLowerCase();
}

export function toPayment(p: WirePaymentInput): GatewayPayment {
  const status = paymentStatus(p);
  const metadata = p.metadata ?? null;
  const deferred = p.authorization != null;
  const card = p.card ?? null;
  const hosted = p.hosted_payment ?? null;
  const payable = status === 'pending' && hosted !== null && (hosted.payment_url ?? null) !== null;
  // A page sent by PayPlug itself (sent_by) never expires; this app never asks for one.
  const expires = payable && (hosted.sent_by ?? null) === null;
  const customerEmail = p.customer?.email ?? null;
  return {
    id: p.id,
    reference: p.id,
    orderReference: readTag(metadata, TAG.order),
    note: readTag(metadata, TAG.note),
    createdWithKey: readTag(metadata, TAG.key),
    status,
    amount: p.amount,
    currency: p.currency.toUpperCase(),
    amountCapturable: status === 'requires_capture' ? (p.authorization?.authorized_amount ?? p.amount) : 0,
    amountCaptured: p.is_paid ? p.amount : 0,
    amountRefunded: p.amount_refunded ?? 0,
    captureMethod: deferred ? 'manual' : 'automatic',
    card:
      card?.last4 && card.brand
        ? {
            brand: brandOf(card.brand),
            last4: card.last4,
            expMonth: card.exp_month ?? null,
            expYear: card.exp_year ?? null,
          }
        : null,
    // `timeout`: the page expired untried, which the till calls by its neutral name.
    failure: p.failure
      ? { code: p.failure.code === 'timeout' ? 'link_expired' : p.failure.code, message: p.failure.message ?? null }
      : null,
    description: p.description ?? null,
    receiptEmail: customerEmail,
    customerId: readTag(metadata, TAG.customer),
    // A page (pay by link, QR at the counter) or, without one, a saved card charged at once.
    methodType: hosted !== null ? 'link' : 'card',
    terminalId: null,
    createdAt: isoFromUnix(p.created_at),
    capturedAt: p.is_paid ? isoOrNull(p.paid_at) : null,
    payUrl: payable ? hosted.payment_url! : null,
    payUrlExpiresAt: expires ? isoFromUnix(p.created_at + PAYMENT_PAGE_TTL_SECONDS) : null,
    authorizationExpiresAt: isoOrNull(p.authorization?.expires_at),
    installmentPlanId: p.installment_plan_id ?? null,
    savedCardId: card?.id ?? null,
    splits: null,
  };
}

export function toRefund(r: WireRefund): GatewayRefund {
  return {
    id: r.id,
    reference: r.id,
    paymentId: r.payment_id,
    amount: r.amount,
    currency: r.currency.toUpperCase(),
    // A PayPlug refund exists once it is made: it has no status of its own.
    status: 'succeeded',
    reason: readTag(r.metadata, TAG.reason),
    createdAt: isoFromUnix(r.created_at),
  };
}

export function toInstallmentPlan(plan: WireInstallmentPlan): InstallmentPlan {
  return {
    id: plan.id,
    active: plan.is_active,
    currency: plan.currency.toUpperCase(),
    schedule: plan.schedule.map((entry) => ({
      date: entry.date,
      amount: entry.amount,
      paymentIds: [...entry.payment_ids],
    })),
    // The page of the first installment, while the plan runs (it says "paid" once it is).
    payUrl: plan.is_active ? (plan.hosted_payment?.payment_url ?? null) : null,
    failure: plan.failure ? { code: plan.failure.code, message: plan.failure.message } : null,
    createdAt: isoFromUnix(plan.created_at),
  };
}
