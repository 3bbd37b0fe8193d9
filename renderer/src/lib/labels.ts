import type {
  InstallmentPlanView,
  PaymentView,
  ReaderStatus,
  ReaderView,
  ReceiptStateView,
  TransactionView,
} from '../../../common/contract';
import { installmentAmounts } from '../../../common/installments';
import { humanize, money } from './format';

export type ReceiptCopies = NonNullable<ReceiptStateView['print']>['copies'];

/**
 * What an authorisation captured in part actually took (its receipt and the reports count that); null
 * when it took the whole amount, or has taken nothing yet. A transaction's or a payment's.
 */
export function capturedInPart(p: { status: string; amount: number; amountCaptured: number }): number | null {
  const charged = p.status === 'succeeded' || p.status === 'partially_refunded' || p.status === 'refunded';
  return charged && p.amountCaptured > 0 && p.amountCaptured !== p.amount ? p.amountCaptured : null;
}

/**
 * A transaction's method in the list: a part of an installment plan says which part it is (the
 * gateway charged the later ones by itself: not "Link"), any other its method.
 */
export function methodLabel(t: Pick<TransactionView, 'paymentMethodType' | 'installment'>): string {
  if (!t.installment) return humanize(t.paymentMethodType);
  const { part, of } = t.installment;
  return part === 1 ? `Installment 1 of ${of} (link)` : `Installment ${part} of ${of}`;
}

/**
 * An installment plan on its way to the gateway, in one line: which part is charged now and how much
 * (the customer pays it by link; the gateway charges the others on their dates).
 */
export function planChargingText(plan: { amount: number; currency: string; count: number }): string {
  const first = installmentAmounts(plan.amount, plan.count)[0] ?? plan.amount;
  return `Charging part 1 of ${plan.count}: ${money(first, plan.currency)}…`;
}

/** What the payment's state means for the cashier, in one line (shown in role=status). */
export function paymentStateText(payment: PaymentView): string {
  switch (payment.status) {
    case 'creating':
      return payment.tip?.state === 'awaiting'
        ? 'Waiting for the tip: nothing has been sent to a reader or charged yet.'
        : 'Creating the payment…';
    case 'pending':
      if (payment.channel === 'link')
        return payment.payUrl
          ? 'Waiting for the customer to pay by link (the QR code below).'
          : 'Charging the saved card…';
      if (!payment.decline) return 'Ready: send it to a reader.';
      return payment.decline.kind === 'not_completed'
        ? 'The reader did not complete the payment. It is still open: send it to the reader again.'
        : 'Declined. The payment is still open: another card can be tried.';
    case 'in_progress':
      switch (payment.readerStage) {
        case 'sent':
          return 'Sent to the reader. Waiting for the reader to show the amount…';
        case 'waiting_for_card':
          return 'Waiting for card: the customer can tap, insert or swipe.';
        case 'processing':
          return 'Processing: authorising the card. Do not remove the card.';
        default:
          return 'On the reader…';
      }
    case 'requires_capture':
      return 'Authorised. Capture it on the Capture screen (F4) to collect the money.';
    case 'succeeded':
      return 'Approved. The payment is complete.';
    case 'failed':
      // A link that lapsed unpaid (or a page never given) closed with no card tried: not a decline.
      if (payment.decline?.kind === 'not_completed') return 'Not completed. No money was taken.';
      return payment.decline ? 'Declined.' : 'Failed.';
    case 'canceled':
      return 'Canceled. No money was taken.';
    case 'refunded':
      return 'Refunded.';
    case 'partially_refunded':
      return 'Partially refunded.';
    case 'unknown':
      // Say what the app is actually waiting for: the gateway (a create it did not confirm) or
      // the reader (it lost contact after taking the card request).
      return payment.transactionId === null
        ? 'Outcome not known yet: the app is asking the gateway whether the payment was created. Do not charge again.'
        : payment.readerId !== null
          ? 'Outcome not known yet: the app is waiting for the reader to say whether the card was charged. Do not charge again.'
          : 'Outcome not known yet: the app is checking with the gateway. Do not charge again.';
    default:
      return String(payment.status);
  }
}

export const STATUS_LABELS: Record<string, string> = {
  creating: 'Creating',
  pending: 'Pending',
  in_progress: 'On reader',
  requires_capture: 'Authorised — to capture',
  succeeded: 'Succeeded',
  failed: 'Failed',
  canceled: 'Canceled',
  refunded: 'Refunded',
  partially_refunded: 'Partially refunded',
  unknown: 'Unknown — checking',
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

/**
 * A payment's status in a word or two, where a list names it: one waiting for its tip is journaled
 * as 'creating' but is not being created (nothing is sent until the tip is chosen).
 */
export function paymentStatusLabel(payment: Pick<PaymentView, 'status' | 'tip'>): string {
  if (payment.status === 'creating' && payment.tip?.state === 'awaiting') return 'Waiting for the tip';
  return statusLabel(payment.status);
}

export const READER_STATUS_LABELS: Record<ReaderStatus, string> = {
  online: 'Online',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  unpaired: 'Not paired',
  superseded: 'Replaced by a newer pairing',
};

export function readerKind(reader: ReaderView): string {
  switch (reader.kind) {
    case 'simulated':
      return 'Simulated reader';
    case 'concert':
      return `Concert terminal (${reader.foundBy === 'usb' ? 'USB' : 'serial'})`;
    case 'cloud':
      return 'Cloud reader';
    case 'port':
      return 'Serial port, no reader recognised';
    default:
      return String(reader.kind);
  }
}

export const STAGE_LABELS: Record<string, string> = {
  sent: 'sent to reader',
  waiting_for_card: 'waiting for card',
  processing: 'processing',
};

/** The receipt copies, as the Copies selector and the "not printed" items name them. */
export const COPIES_LABELS: Record<ReceiptCopies, string> = {
  customer: 'Customer copy',
  merchant: 'Merchant copy',
  both: 'Both copies',
};

/** Why a "print on the receipt printer" button is disabled (receipts and reports say the same). */
export const NO_PRINTER_TITLE = 'No receipt printer is set up (Settings, F7)';

/**
 * An installment plan's status in the till's words (Process payment's panel, Transactions' plans), never
 * the gateway's: PayPlug's "You have aborted the transaction." or "A payment has failed." say nothing a
 * cashier can use, so the host passes no such text on and the status says what happened.
 */
export function planStatusText(plan: Pick<InstallmentPlanView, 'status' | 'gatewayPlanId'>): string {
  switch (plan.status) {
    case 'aborted':
      return 'aborted, no further part is charged';
    case 'failed':
      // Refused before the gateway made it (its failure says why), or ended by the gateway: a part unpaid.
      return plan.gatewayPlanId === null ? 'not set up' : 'ended, a part was not paid: no further part is charged';
    case 'active':
      return 'running';
    case 'aborting':
      return 'being aborted — the till confirms it with the gateway';
    case 'completed':
      return 'paid in full';
    case 'unknown':
      return 'not confirmed by the gateway yet — check again before setting up another';
    default:
      return plan.status;
  }
}
