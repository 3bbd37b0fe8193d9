/** Journal records and gateway payments → the contract's views. */
import { declineInfo } from '../../common/decline-codes';
import { formatAmount } from '../../common/money';
import {
  TRANSACTION_STATUSES,
  type AttentionView,
  type DisputeView,
  type GatewayCapabilities,
  type NotSentReason,
  type PaymentAction,
  type PaymentStatus,
  type PaymentView,
  type ReceiptStateView,
  type RefundView,
  type SplitAction,
  type SplitView,
  type TransactionStatus,
  type TransactionView,
} from '../../common/contract';
import { heldByShare, NOT_PAID_YET, OUTCOME_UNKNOWN } from '../reports/split-funding';
import type { GatewayPayment, GatewayRefund } from '../gateway/port';
import type {
  DisputeRecord,
  OperationRecord,
  PaymentRecord,
  ReceiptCopies,
  ReceiptRecord,
  SplitRecord,
} from '../store/journal';

/**
 * A refund on a terminal whose outcome nobody knows yet (it went silent, or the app stopped while
 * it had the card): only the terminal's ticket can tell, so the cashier settles it, and until then
 * no other refund of the payment is made (it could credit the card twice).
 */
export function unsettledTerminalRefund(operations: readonly OperationRecord[]): OperationRecord | null {
  return (
    operations.find(
      (op) =>
        op.kind === 'refund' &&
        op.params.onTerminal === true &&
        op.state === 'failed' &&
        /^(unknown|interrupted):/.test(op.lastError ?? ''),
    ) ?? null
  );
}

export function toDisputeView(record: DisputeRecord): DisputeView {
  return {
    id: record.id,
    reference: record.reference,
    gateway: record.gateway,
    transactionId: record.transactionId,
    paymentId: record.paymentId,
    amount: record.amount,
    currency: record.currency,
    status: record.status,
    reason: record.reason,
    evidenceDueBy: record.evidenceDueBy,
    openedAt: record.openedAt,
    seenAt: record.seenAt,
    closedAt: record.closedAt,
    testMode: record.mode === 'test',
  };
}

/** A reason code in words: `product_not_received` → "product not received". */
const reasonWords = (reason: string) => reason.replace(/_/g, ' ');

/**
 * Why the till does not read a payment and what the shop can do; `settle: false` where the cashier's
 * word of a dashboard is no way out (an open link of another gateway, read again once its keys are back).
 */
export interface Elsewhere {
  why: string;
  fix: string;
  settle?: false;
}

/**
 * An unfinished payment made on another account than the one the till uses now (the embedded sandbox
 * turned off, or on): the till does not read it — the keys it holds cannot see it, and their "no such
 * payment" is no answer — so nothing is concluded; the cashier is told what to switch back. Nothing
 * can be settled from here (the host refuses it) until it is read on its account — except, on another
 * of the shop's own accounts (`settleElsewhere`), the cashier's word of what its dashboard shows.
 */
function elsewhereView(record: PaymentRecord, elsewhere: Elsewhere, dispute: DisputeRecord | null): AttentionView {
  const earlier = record.attentionSince && record.attentionReason ? ` Before that: ${record.attentionReason}` : '';
  // Another of the shop's own accounts: its key may be rolled, or the account closed, for good.
  // (Not a link of another gateway whose keys the till lacks: entered again, they read it.)
  const settle = record.account === 'own' && record.gatewayAccount !== '' && elsewhere.settle !== false;
  const wayOut = settle
    ? " If that key was rolled or the account closed, check the payment on that account's dashboard and record here whether it was charged."
    : '';
  return {
    paymentId: record.id,
    createdAt: record.createdAt,
    amount: record.amount,
    currency: record.currency,
    testMode: record.mode === 'test',
    reason: `${elsewhere.why}, so the till does not read it and cannot tell how it ended.${earlier}`,
    advice: `${elsewhere.fix} to follow it. Do not take this order's money again another way before it is read there: it may have been paid.${wayOut}`,
    since: record.attentionSince ?? record.updatedAt,
    unsettledRefund: null,
    ...(dispute ? { dispute: toDisputeView(dispute) } : {}),
    otherAccount: true,
    ...(settle ? { settleElsewhere: true } : {}),
    ...(settle && record.captureMethod === 'manual' ? { manualCapture: true } : {}),
  };
}

/** What Needs attention says of an open dispute: what happened. */
export function disputeReason(dispute: Pick<DisputeRecord, 'amount' | 'currency' | 'reason'>): string {
  return `The customer's bank disputes ${formatAmount(dispute.amount, dispute.currency)} of this payment (${reasonWords(dispute.reason)}).`;
}

/** …and what to do (the till cannot answer a dispute: the gateway's dashboard does). */
export function disputeAdvice(
  dispute: Pick<DisputeRecord, 'status' | 'evidenceDueBy' | 'reference'>,
  label: string,
): string {
  const due = dispute.evidenceDueBy ? ` before ${dispute.evidenceDueBy.slice(0, 10)}` : '';
  return dispute.status === 'under_review'
    ? `The bank is reviewing the shop's answer to dispute ${dispute.reference}; nothing to do until it decides. This clears once the dispute is won or lost.`
    : `Respond to dispute ${dispute.reference} on the ${label} dashboard${due}, with the receipt and proof of delivery. This clears once the dispute is won or lost.`;
}

/**
 * `dispute`: the newest dispute still open on the payment (a chargeback), which keeps it in Needs
 * attention by itself; a payment in doubt for another reason says that reason and carries the dispute.
 */
export function toAttentionView(
  record: PaymentRecord,
  unsettledRefund: { amount: number } | null = null,
  dispute: DisputeRecord | null = null,
  gatewayLabel = 'gateway',
  elsewhere: Elsewhere | null = null,
): AttentionView | null {
  if (elsewhere) return elsewhereView(record, elsewhere, dispute);
  if (!record.attentionSince && !dispute) return null;
  const own = record.attentionSince !== null;
  return {
    paymentId: record.id,
    createdAt: record.createdAt,
    amount: record.amount,
    currency: record.currency,
    testMode: record.mode === 'test',
    reason: own ? (record.attentionReason ?? 'Needs a look.') : disputeReason(dispute!),
    advice: own ? (record.attentionAdvice ?? '') : disputeAdvice(dispute!, gatewayLabel),
    since: record.attentionSince ?? dispute!.seenAt,
    unsettledRefund,
    ...(dispute ? { dispute: toDisputeView(dispute), ...(own ? { ownReason: true } : {}) } : {}),
    unknownCreate:
      record.status === 'unknown' &&
      record.transactionId === null &&
      record.origin === 'local' &&
      record.chargedBy !== 'terminal',
  };
}

/**
 * `capabilities`: the active gateway's, or null when the till has none configured (then nothing can
 * be done, and a payment made with another gateway offers nothing until the till switches back).
 */
export function toPaymentView(
  record: PaymentRecord,
  queuedOperations: number,
  capabilities: GatewayCapabilities | null,
  activeGateway: string | null = record.gateway,
  splits: { records: readonly SplitRecord[]; pending: ReadonlySet<string> } = { records: [], pending: new Set() },
  receipts: ReceiptSummary = { print: null, email: null },
): PaymentView {
  const actionable = capabilities !== null && activeGateway === record.gateway;
  return {
    id: record.id,
    gateway: record.gateway,
    testMode: record.mode === 'test',
    channel: record.channel,
    savedCard: record.savedCardId !== null,
    transactionId: record.transactionId,
    reference: record.reference,
    orderReference: record.orderReference,
    amount: record.amount,
    currency: record.currency,
    description: record.description,
    captureMethod: record.captureMethod,
    status: record.status,
    readerId: record.readerId,
    readerStage: record.status === 'in_progress' ? record.readerStage : null,
    decline: record.declineCode ? declineView(record.declineCode, record.declineMessage) : null,
    card: record.cardBrand && record.cardLast4 ? { brand: record.cardBrand, last4: record.cardLast4 } : null,
    amountCapturable: record.amountCapturable,
    amountCaptured: record.amountCaptured,
    amountRefunded: record.amountRefunded,
    customerId: record.customerId,
    receiptEmail: record.receiptEmail,
    queuedOperations,
    attention: toAttentionView(record),
    payUrl: record.status === 'pending' ? record.payUrl : null,
    payUrlExpiresAt: record.status === 'pending' ? record.payUrlExpiresAt : null,
    authorizationExpiresAt: record.status === 'requires_capture' ? record.authorizationExpiresAt : null,
    installmentPlanId: record.installmentPlanId,
    splits: (() => {
      const left = refundableByShare(splits.records, record);
      const held = heldOfShares(splits.records, record);
      return splits.records.map((split, index) =>
        toSplitView(
          split,
          splits.pending,
          actionable && capabilities.splitSettlement ? record : null,
          left[index],
          held[index],
          record.status,
        ),
      );
    })(),
    tip:
      record.tipState && record.preTipAmount !== null
        ? {
            state: record.tipState,
            preTipAmount: record.preTipAmount,
            amount: record.tipAmount,
            percent: record.tipPercent,
          }
        : null,
    chargedBy: record.chargedBy,
    cancelAsked: record.cancelAskedAt !== null && UNFINISHED.has(record.status),
    entryMode: record.entryMode,
    authCode: record.authCode,
    receipt: receiptState(receipts),
    next:
      record.chargedBy === 'terminal'
        ? standaloneActions(record)
        : capabilities && activeGateway === record.gateway
          ? nextActions(record, capabilities, queuedOperations)
          : [],
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * What the cashier can do with a payment now, given what its gateway can do. `queued`: its money
 * operations waiting for the gateway (a queued capture or cancel leaves nothing else to do).
 */
export function nextActions(record: PaymentRecord, capabilities: GatewayCapabilities, queued = 0): PaymentAction[] {
  const actions: PaymentAction[] = [];
  switch (record.status) {
    case 'pending':
      if (record.channel === 'card_present' && (capabilities.readerLink || capabilities.cloudReaders))
        actions.push('send_to_reader');
      if (record.channel === 'link' && record.payUrl) actions.push('show_link');
      // Plural keeps an unpaid order's page open: nothing to cancel, the link simply expires. A plan's
      // part is not cancelled alone (that ends the whole plan): the plan is aborted, confirmed.
      if (record.channel === 'card_present' || (capabilities.cancelsUnpaidLink && record.installmentPlanId === null))
        actions.push('cancel');
      break;
    case 'in_progress':
    case 'creating':
      actions.push('cancel');
      break;
    case 'unknown':
      // A reader that had the card request may have charged it: only the cashier's check settles it.
      if (!(record.readerId && record.actionId)) actions.push('cancel');
      break;
    case 'requires_capture':
      if (queued === 0) actions.push('capture', 'cancel');
      break;
    case 'succeeded':
    case 'partially_refunded':
      if (record.amountCaptured > record.amountRefunded) actions.push('refund');
      break;
  }
  return actions;
}

/** The statuses in which a held share can be released or cancelled (the payment's money arrived). */
/** Not finished yet: a cancel the cashier asked for is still to come. */
const UNFINISHED: ReadonlySet<PaymentStatus> = new Set(['creating', 'pending', 'in_progress', 'unknown']);

const SETTLEABLE: ReadonlySet<PaymentStatus> = new Set(['succeeded', 'partially_refunded']);

/** The statuses in which a payment takes refunds. */
const REFUNDABLE: ReadonlySet<PaymentStatus> = new Set(['succeeded', 'partially_refunded']);

/**
 * What a refund naming each share could take from it now, from the journal's split rows (found by a
 * UI hunt: the refund form offered a cancelled share with nothing left, labelled with its full
 * amount). Per share, money is either settled to its merchant (`releasedAmount`, recovered by a
 * refund), or never settled (a cancelled share, the rest of a partial release: refunded without
 * recovery, as far as it was captured); `refundedAmount` is both kinds together. A cancelled share's
 * refunds are all of the second kind, a wholly released share's all of the first; of a partly
 * released share, the rest's refund came first (it is made with the release). So, per share:
 * - held: the whole share (a held share is refunded only whole) when the captured money not yet
 *   settled or refunded covers it, else nothing;
 * - otherwise the larger of what is left never settled (within that captured money) and what is left
 *   settled to recover;
 * and never more than the payment has left to refund. 0 when the payment takes no refund. The
 * gateway still checks the refund: this is what the screen offers, never a promise.
 */
export function refundableByShare(splits: readonly SplitRecord[], payment: PaymentRecord): number[] {
  if (!REFUNDABLE.has(payment.status)) return splits.map(() => 0);
  const remaining = Math.max(0, payment.amountCaptured - payment.amountRefunded);
  const kinds = splits.map((split) => {
    const unsettled = split.status === 'HOLD' ? 0 : split.amount - split.releasedAmount;
    const unrecovered = Math.min(split.refundedAmount, Math.max(0, unsettled));
    return { unsettled, unrecovered, recovered: split.refundedAmount - unrecovered };
  });
  // Captured money neither settled to a merchant nor refunded without recovery.
  const uncommitted = Math.max(
    0,
    payment.amountCaptured -
      splits.reduce((sum, split, index) => sum + split.releasedAmount + kinds[index]!.unrecovered, 0),
  );
  return splits.map((split, index) => {
    const { unsettled, unrecovered, recovered } = kinds[index]!;
    if (split.status === 'HOLD') return split.amount <= Math.min(uncommitted, remaining) ? split.amount : 0;
    const rest = Math.min(Math.max(0, unsettled - unrecovered), uncommitted);
    const recoverable = Math.max(0, split.releasedAmount - recovered);
    return Math.min(Math.max(rest, recoverable), remaining);
  });
}

/**
 * What each share holds now (SplitView.held), by the reports' rule (fundShares): the journal keeps
 * what was captured and each share's state and settled part, which is all the held figures need —
 * the order in which shares moved changes what each moved share took, not what is left for the held ones.
 */
export function heldOfShares(
  splits: readonly SplitRecord[],
  payment: Pick<PaymentRecord, 'amountCaptured' | 'status'>,
): number[] {
  return heldByShare(
    payment.amountCaptured,
    splits.map((split) => ({ amount: split.amount, status: split.status, released: split.releasedAmount })),
    payment.status,
  );
}

/**
 * One share as the screen shows it. `payment`: the payment it belongs to when the active gateway
 * can settle it (else nothing can be done to the share from this till now); `paymentStatus`: its
 * status either way.
 */
export function toSplitView(
  split: SplitRecord,
  pending: ReadonlySet<string>,
  payment: PaymentRecord | null,
  refundable = 0,
  held = split.status === 'HOLD' ? split.amount : 0,
  paymentStatus: string = payment?.status ?? '',
): SplitView {
  const waiting = split.splitId !== null && pending.has(split.splitId);
  // Held once the customer pays; nothing is held before (heldOfShares gives 0), but it is not over.
  const awaitingPayment = split.status === 'HOLD' && NOT_PAID_YET.has(paymentStatus);
  // The till does not know whether the payment was charged: the share may hold its amount or
  // nothing. Not held (heldOfShares gives 0), not over either: said apart until it is resolved.
  const outcomeUnknown = split.status === 'HOLD' && OUTCOME_UNKNOWN.has(paymentStatus);
  // Nothing captured is left for it (heldOfShares): nothing a release or cancel could settle or give
  // back, and on a refunded or voided payment Plural refuses both. Over, not held.
  const closed = split.status === 'HOLD' && held === 0 && !awaitingPayment && !outcomeUnknown;
  const settleable = payment && split.splitId && split.status === 'HOLD' && !closed && SETTLEABLE.has(payment.status);
  // What the gateway said a release can settle now (after a partial capture, less than the share).
  const releasable = split.status === 'HOLD' ? (split.releasableAmount ?? split.amount) : 0;
  // A closed share of a payment still paid (partly captured, partly refunded): the gateway takes a
  // cancel of it, which moves no money but stops it saying HOLD there. Not on a refunded or voided
  // payment: the gateway refuses it there, and so does the host (Settlements.check).
  const tidied = payment && split.splitId && closed && SETTLEABLE.has(payment.status);
  // A release or cancel already waiting for the gateway is sent again by itself; another step on the
  // share meanwhile is refused (Settlements.settle), so none is offered until it is confirmed.
  const next: SplitAction[] = waiting
    ? []
    : settleable
      ? [...(releasable > 0 ? (['release'] as const) : []), 'cancel']
      : tidied
        ? ['cancel']
        : [];
  return {
    id: split.splitId,
    merchantId: split.merchantId,
    settlementReference: split.settlementReference,
    amount: split.amount,
    onHold: split.onHold,
    status: split.status,
    releasedAmount: split.releasedAmount,
    refundedAmount: split.refundedAmount,
    held,
    closed,
    awaitingPayment,
    outcomeUnknown,
    releasable,
    refundable,
    pending: waiting,
    next,
  };
}

/**
 * A payment's last print job and last email request; `owed`, the copies failed print jobs left
 * unprinted (see copiesOwed), else the last print job alone decides.
 */
export interface ReceiptSummary {
  print: ReceiptRecord | null;
  email: ReceiptRecord | null;
  owed?: { copies: ReceiptCopies; failed: ReceiptRecord } | null;
}

/** The copies a print job holds, in the order they print (the merchant's first, to keep at the till). */
export function copiesOf(copies: ReceiptCopies): Array<'merchant' | 'customer'> {
  return copies === 'both' ? ['merchant', 'customer'] : [copies];
}

/**
 * The copies a payment's print jobs (in order) still owe: those of a failed job that no later
 * printed job printed, with the last failed job (its reason). An interrupted "both" followed by a
 * customer-only reprint still owes the merchant copy.
 */
export function copiesOwed(jobs: readonly ReceiptRecord[]): { copies: ReceiptCopies; failed: ReceiptRecord } | null {
  const owed = new Set<'customer' | 'merchant'>();
  let failed: ReceiptRecord | null = null;
  for (const job of jobs) {
    if (job.channel !== 'print') continue;
    const copies = copiesOf(job.copies);
    if (job.state === 'failed') {
      for (const copy of copies) owed.add(copy);
      failed = job;
    } else if (job.state === 'printed') {
      for (const copy of copies) owed.delete(copy);
    }
  }
  if (!failed || owed.size === 0) return null;
  return { copies: owed.size === 2 ? 'both' : [...owed][0]!, failed };
}

function receiptState(receipts: ReceiptSummary): ReceiptStateView {
  const { print, email, owed } = receipts;
  // A print under way shows as such; otherwise copies still owed keep the failure showing.
  const shown = owed && print?.state !== 'pending' ? owed.failed : print;
  return {
    print:
      shown && (shown.state === 'pending' || shown.state === 'printed' || shown.state === 'failed')
        ? {
            state: shown.state,
            error: shown.error,
            duplicate: shown.duplicate,
            at: shown.updatedAt,
            copies: owed && shown === owed.failed ? owed.copies : shown.copies,
          }
        : null,
    email:
      email && (email.state === 'requested' || email.state === 'sent')
        ? { state: email.state, to: email.destination ?? '', at: email.createdAt }
        : null,
  };
}

/** What the cashier can do with a payment a terminal charges through the shop's own bank. */
export function standaloneActions(record: PaymentRecord): PaymentAction[] {
  switch (record.status) {
    case 'pending':
      return ['send_to_reader', 'cancel'];
    case 'creating':
    case 'in_progress':
      return ['cancel'];
    case 'succeeded':
    case 'partially_refunded':
      return record.amountCaptured > record.amountRefunded ? ['refund'] : [];
    default:
      return [];
  }
}

function declineView(code: string, message: string | null): NonNullable<PaymentView['decline']> {
  const info = declineInfo(code);
  return { code, message: message ?? info.cashier, anotherCard: info.anotherCard, kind: info.kind };
}

function amountText(amount: number, currency: string): string {
  try {
    return formatAmount(amount, currency);
  } catch {
    return `${amount} ${currency}`;
  }
}

/** A part of an installment plan (Journal.installmentPartOf), or null. */
type InstallmentPart = { part: number; of: number } | null;

export function toTransactionView(
  payment: GatewayPayment,
  orderReference: string | null,
  installment: InstallmentPart = null,
): TransactionView {
  const amountFormatted = amountText(payment.amount, payment.currency);
  return {
    id: payment.id,
    reference: payment.reference,
    orderReference,
    status: payment.status,
    amount: payment.amount,
    amountFormatted,
    amountRefunded: payment.amountRefunded,
    amountCaptured: payment.amountCaptured,
    amountCapturable: payment.amountCapturable,
    currency: payment.currency,
    paymentMethodType: payment.methodType,
    captureMethod: payment.captureMethod,
    description: payment.description,
    receiptEmail: payment.receiptEmail,
    terminalId: payment.terminalId,
    card: payment.card,
    failureCode: payment.failure?.code ?? null,
    failureMessage: payment.failure?.message ?? null,
    note: payment.note ?? null,
    createdAt: payment.createdAt,
    capturedAt: payment.capturedAt,
    authorizationExpiresAt: payment.status === 'requires_capture' ? payment.authorizationExpiresAt : null,
    ...(installment ? { installment } : {}),
  };
}

/**
 * A journaled payment as a transaction-list row, for gateways that keep no list (the journal is the
 * list); null while it is not yet a transaction (no gateway id, or in one of the till's own states).
 */
export function journaledTransactionView(
  record: PaymentRecord,
  installment: InstallmentPart = null,
): TransactionView | null {
  if (record.transactionId === null || !isTransactionStatus(record.status)) return null;
  return {
    id: record.transactionId,
    paymentId: record.id,
    reference: record.reference ?? record.transactionId,
    orderReference: record.orderReference,
    status: record.status,
    amount: record.amount,
    amountFormatted: amountText(record.amount, record.currency),
    amountRefunded: record.amountRefunded,
    amountCaptured: record.amountCaptured,
    amountCapturable: record.amountCapturable,
    currency: record.currency,
    // A plan's later parts the gateway charged on the card it kept: no link was paid (PayPlug's own
    // list says "card" of them too). The journal's method filters match the same (JOURNALED_METHOD).
    paymentMethodType: installment && installment.part > 1 ? 'card' : record.channel === 'link' ? 'link' : 'terminal',
    captureMethod: record.captureMethod,
    description: record.description,
    receiptEmail: record.receiptEmail,
    terminalId: record.readerId,
    card: record.cardBrand && record.cardLast4 ? { brand: record.cardBrand, last4: record.cardLast4 } : null,
    failureCode: record.declineCode,
    failureMessage: record.declineMessage,
    note: null,
    createdAt: record.createdAt,
    // The journal keeps no capture time; the gateway's detail view has it.
    capturedAt: null,
    authorizationExpiresAt: record.status === 'requires_capture' ? record.authorizationExpiresAt : null,
    ...(installment ? { installment } : {}),
  };
}

/**
 * A journaled payment the gateway has no transaction for (a create never confirmed, or recorded as
 * not made) as the Details screen shows it: named by the till's own id; still being made or in
 * doubt, it reads as pending (its payment view says which). `notSent`: it ended so, and why
 * (notSentReason in recovery.ts): the Transactions list shows it too, so the day reads whole.
 */
export function journalOnlyTransactionView(
  record: PaymentRecord,
  notSent: NotSentReason | null = null,
): TransactionView {
  return {
    ...journaledTransactionView({ ...record, transactionId: record.id, status: 'pending' })!,
    reference: record.id,
    status: isTransactionStatus(record.status) ? record.status : 'pending',
    ...(notSent ? { notSent } : {}),
  };
}

function isTransactionStatus(status: PaymentStatus): status is TransactionStatus {
  return (TRANSACTION_STATUSES as readonly string[]).includes(status);
}

export function toRefundView(refund: GatewayRefund): RefundView {
  return {
    id: refund.id,
    reference: refund.reference,
    amount: refund.amount,
    currency: refund.currency,
    status: refund.status,
    reason: refund.reason,
    createdAt: refund.createdAt,
  };
}
