/** PlutoPay's wire objects → the port's neutral types. Nothing outside this folder reads the wire. */
import type { GatewayDispute, GatewayPayment, GatewayRefund, ReaderAction, RemoteReader } from '../port';
import type {
  CheckoutSession,
  Dispute,
  GatewayReader,
  ReaderAction as WireAction,
  Refund,
  Transaction,
} from './schemas';

/** The tag a pay-by-link payment's transaction carries (its checkout session's metadata is copied to it). */
export const LINK_TAG = { key: 'pos_channel', value: 'link' } as const;

export function isLinkTransaction(tx: Transaction): boolean {
  return tx.metadata?.[LINK_TAG.key] === LINK_TAG.value;
}

/**
 * `session`: the checkout session of a pay-by-link payment, when known; its page is where the
 * customer pays while the transaction is pending.
 */
export function toPayment(tx: Transaction, session: CheckoutSession | null = null): GatewayPayment {
  const tagged = tx.metadata?.order_reference;
  const payable = session !== null && tx.status === 'pending' && session.status === 'open';
  return {
    id: tx.id,
    reference: tx.reference,
    orderReference: typeof tagged === 'string' ? tagged : null,
    status: tx.status,
    amount: tx.amount,
    currency: tx.currency.toUpperCase(),
    amountCapturable: tx.amount_capturable,
    amountCaptured: tx.amount_captured,
    amountRefunded: tx.amount_refunded,
    captureMethod: tx.capture_method,
    card: tx.card ? { brand: tx.card.brand, last4: tx.card.last4 } : null,
    failure: tx.failure_code ? { code: tx.failure_code, message: tx.failure_message } : null,
    description: tx.description,
    receiptEmail: tx.receipt_email,
    customerId: tx.customer_id,
    methodType: isLinkTransaction(tx) ? 'link' : (tx.payment_method_type ?? 'unknown'),
    terminalId: tx.terminal_id,
    createdAt: tx.created_at,
    capturedAt: tx.captured_at,
    payUrl: payable ? session.url : null,
    payUrlExpiresAt: payable ? session.expires_at : null,
    authorizationExpiresAt: null,
    installmentPlanId: null,
    savedCardId: null,
    splits: null,
  };
}

export function toRefund(refund: Refund): GatewayRefund {
  return {
    id: refund.id,
    reference: refund.reference,
    paymentId: refund.transaction_id,
    amount: refund.amount,
    currency: refund.currency.toUpperCase(),
    status: refund.status,
    reason: refund.reason,
    createdAt: refund.created_at,
  };
}

export function toAction(action: WireAction): ReaderAction {
  return {
    id: action.id,
    paymentId: action.payment_intent_id,
    amount: action.amount,
    currency: action.currency.toUpperCase(),
    status: action.status,
    presentedCard: action.presented_card?.number ?? null,
  };
}

export function toReader(reader: GatewayReader): RemoteReader {
  return {
    id: reader.id,
    terminalId: reader.terminal_id,
    label: reader.label,
    status: reader.status === 'online' ? 'online' : 'offline',
    deviceType: reader.device_type,
    simulated: reader.device_type === 'simulated',
    serialNumber: reader.serial_number,
    softwareVersion: reader.software_version,
    lastSeenAt: reader.last_seen_at,
    action: reader.action ? toAction(reader.action) : null,
  };
}

export function toDispute(d: Dispute): GatewayDispute {
  return {
    id: d.id,
    reference: d.reference,
    transactionId: d.transaction_id,
    amount: d.amount,
    currency: d.currency.toUpperCase(),
    status: d.status,
    reason: d.reason ?? 'general',
    evidenceDueBy: d.evidence_due_by,
    createdAt: d.created_at,
    updatedAt: d.updated_at ?? d.created_at,
  };
}
