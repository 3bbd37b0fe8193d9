import type { PaymentView } from '../../../common/contract';
import { money } from '../lib/format';
import type { LinkNotice, PosState, UiState } from './types';

/** How many payments' link outcomes the screen remembers having told (a window open for days). */
const TOLD_LIMIT = 200;

/**
 * Why a link was not paid, in a few words: lapsed, or the card's decline (its first sentence).
 * Null when the payment did not end unpaid by a link: canceled by the cashier is their own doing.
 */
function notPaidBecause(before: PaymentView, after: PaymentView): string | null {
  if (after.status === 'failed') {
    const decline = after.decline;
    if (!decline || decline.code === 'link_expired') return decline ? 'link expired' : 'declined';
    const first = decline.message.split('. ')[0]!.replace(/\.$/, '').trim();
    return first ? first.charAt(0).toLowerCase() + first.slice(1) : 'declined';
  }
  // A gateway that closes a lapsed page by canceling the payment: canceled once its link ran out.
  const expiresAt = before.payUrlExpiresAt;
  if (after.status === 'canceled' && expiresAt && Date.parse(expiresAt) <= Date.parse(after.updatedAt))
    return 'link expired';
  return null;
}

/** What the cashier is told of a link that settled (`before` → `after`), or null: nothing to tell. */
export function linkOutcome(before: PaymentView | undefined, after: PaymentView): string | null {
  if (!before || after.channel !== 'link' || after.savedCard) return null;
  if (before.status !== 'pending' && before.status !== 'creating') return null;
  const amount = money(after.amount, after.currency);
  const see = 'F2 to see it.';
  if (after.status === 'succeeded') return `${amount} paid by link — ${after.orderReference}. ${see}`;
  if (after.status === 'requires_capture')
    return `${amount} authorised by link — ${after.orderReference}, to capture. ${see}`;
  const why = notPaidBecause(before, after);
  return why ? `${amount} by link — ${after.orderReference} not paid: ${why}. ${see}` : null;
}

/** True when the payment is the one on Process payment now (itself, or the plan it is part of). */
function onScreen(ui: UiState, payment: PaymentView): boolean {
  if (ui.screen !== 'process') return false;
  if (ui.selectedPlan) return payment.installmentPlanId === ui.selectedPlan.id;
  return ui.selectedPaymentId === payment.id;
}

/**
 * The screen after the host reported `payment`: a link that settled while the cashier looked
 * elsewhere becomes the banner's notice — once per payment, never for the one on Process payment.
 * Same object when there is nothing to tell.
 */
export function withLinkNotice(state: PosState, ui: UiState, payment: PaymentView): UiState {
  if (ui.linksTold.includes(payment.id)) return ui;
  const text = linkOutcome(state.host.payments[payment.id], payment);
  if (!text) return ui;
  const linksTold = [...ui.linksTold, payment.id].slice(-TOLD_LIMIT);
  if (onScreen(ui, payment)) return { ...ui, linksTold };
  const linkNotice: LinkNotice = { paymentId: payment.id, text };
  return { ...ui, linksTold, linkNotice };
}
