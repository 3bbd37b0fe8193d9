/** Journal records → the contract's views. */
import { declineInfo } from '../../common/decline-codes';
import { formatAmount } from '../../common/money';
import type { AttentionView, PaymentView, RefundView, TransactionView } from '../../common/contract';
import type { Refund, Transaction } from '../gateway/schemas';
import type { PaymentRecord } from '../store/journal';

export function toAttentionView(record: PaymentRecord): AttentionView | null {
  if (!record.attentionSince) return null;
  return {
    paymentId: record.id,
    reason: record.attentionReason ?? 'Needs a look.',
    advice: record.attentionAdvice ?? '',
    since: record.attentionSince,
  };
}

export function toPaymentView(record: PaymentRecord, queuedOperations: number): PaymentView {
  return {
    id: record.id,
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
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function declineView(code: string, message: string | null): NonNullable<PaymentView['decline']> {
  const info = declineInfo(code);
  return { code, message: message ?? info.cashier, anotherCard: info.anotherCard, kind: info.kind };
}

export function toTransactionView(tx: Transaction, orderReference: string | null): TransactionView {
  const currency = tx.currency.toUpperCase();
  let amountFormatted = tx.amount_formatted ?? '';
  if (!amountFormatted) {
    try {
      amountFormatted = formatAmount(tx.amount, currency);
    } catch {
      amountFormatted = `${tx.amount} ${currency}`;
    }
  }
  return {
    id: tx.id,
    reference: tx.reference,
    orderReference,
    status: tx.status,
    amount: tx.amount,
    amountFormatted,
    amountRefunded: tx.amount_refunded,
    amountCaptured: tx.amount_captured,
    amountCapturable: tx.amount_capturable,
    currency,
    paymentMethodType: tx.payment_method_type ?? 'unknown',
    captureMethod: tx.capture_method,
    description: tx.description,
    receiptEmail: tx.receipt_email,
    terminalId: tx.terminal_id,
    card: tx.card ? { brand: tx.card.brand, last4: tx.card.last4 } : null,
    failureCode: tx.failure_code,
    failureMessage: tx.failure_message,
    createdAt: tx.created_at,
    capturedAt: tx.captured_at,
  };
}

export function toRefundView(refund: Refund): RefundView {
  return {
    id: refund.id,
    reference: refund.reference,
    amount: refund.amount,
    currency: refund.currency.toUpperCase(),
    status: refund.status,
    reason: refund.reason,
    createdAt: refund.created_at,
  };
}
